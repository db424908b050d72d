// filedrop UI: list, upload (drop or pick), download and delete. URLs are relative so the app works
// behind the gateway under any path prefix.
const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

function row(file) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  const link = document.createElement('a');
  link.href = `files/${encodeURIComponent(file.name)}`;
  link.textContent = file.name;
  name.append(link);
  const actions = document.createElement('td');
  actions.className = 'num';
  const del = document.createElement('button');
  del.textContent = 'Delete';
  del.onclick = async () => {
    await fetch(`api/files/${encodeURIComponent(file.name)}`, { method: 'DELETE' });
    refresh();
  };
  actions.append(del);
  tr.append(name, actions);
  return tr;
}

async function refresh() {
  const res = await fetch('api/files');
  const { version, files } = await res.json();
  $('version').textContent = `v${version}`;
  $('head').innerHTML = '<tr><th>Name</th><th class="num"></th></tr>';
  $('files').replaceChildren(...files.map(row));
  if (files.length === 0) status('No files yet.');
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
