// filedrop UI: list, upload (drop or pick), download and delete. URLs are relative so the app works
// behind the gateway under any path prefix.
const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

function humanSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

function row(file) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  const link = document.createElement('a');
  link.href = `files/${encodeURIComponent(file.name)}`;
  link.textContent = file.name;
  name.append(link);
  const size = document.createElement('td');
  size.className = 'num';
  size.textContent = humanSize(file.size);
  const actions = document.createElement('td');
  actions.className = 'num';
  const del = document.createElement('button');
  del.textContent = 'Delete';
  del.onclick = async () => {
    await fetch(`api/files/${encodeURIComponent(file.name)}`, { method: 'DELETE' });
    refresh();
  };
  actions.append(del);
  tr.append(name, size, actions);
  return tr;
}

async function refresh() {
  const res = await fetch('api/files');
  const { version, files } = await res.json();
  $('version').textContent = `v${version}`;
  $('head').innerHTML = '<tr><th>Name</th><th class="num">Size</th><th class="num"></th></tr>';
  $('files').replaceChildren(...files.map(row));
  const total = files.reduce((n, f) => n + f.size, 0);
  status(files.length === 0 ? 'No files yet.' : `${files.length} file(s), ${humanSize(total)} in total.`);
}

async function upload(list) {
  for (const file of list) {
    status(`Uploading ${file.name}…`);
    const res = await fetch(`api/files/${encodeURIComponent(file.name)}`, { method: 'PUT', body: file });
    if (!res.ok) {
      status(`${file.name}: ${(await res.json()).error}`);
      return;
    }
  }
  status(`Uploaded ${list.length} file(s).`);
  refresh();
}

const drop = $('drop');
drop.onclick = () => $('picker').click();
$('picker').onchange = (e) => upload(e.target.files);
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove('over'); upload(e.dataTransfer.files); };
refresh();
