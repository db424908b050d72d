// sitehost admin: list the site's files and upload new ones (into an optional folder). URLs are relative
// so the page works behind the gateway under any path prefix.
const $ = (id) => document.getElementById(id);
const encodePath = (p) => p.split('/').map(encodeURIComponent).join('/');

function row(file) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  const link = document.createElement('a');
  link.href = `../${encodePath(file.path)}`;
  link.textContent = file.path;
  name.append(link);
  const size = document.createElement('td');
  size.className = 'num';
  size.textContent = `${file.size} B`;
  tr.append(name, size);
  return tr;
}

async function refresh() {
  const { version, files } = await (await fetch('api/files')).json();
  $('version').textContent = `v${version}`;
  $('list').replaceChildren(...files.map(row));
  if (files.length === 0) $('status').textContent = 'The site is empty: upload an index.html to start.';
}

$('upload').onsubmit = async (e) => {
  e.preventDefault();
  const folder = $('folder').value.trim().replace(/^\/+|\/+$/g, '');
  for (const file of $('files').files) {
    const path = folder ? `${folder}/${file.name}` : file.name;
    const res = await fetch(`api/files/${encodePath(path)}`, { method: 'PUT', body: file });
    $('status').textContent = res.ok ? `Uploaded ${path}` : `${path}: ${(await res.json()).error}`;
    if (!res.ok) return;
  }
  $('files').value = '';
  refresh();
};
refresh();
