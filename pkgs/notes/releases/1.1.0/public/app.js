// notes UI: add, search, list and delete notes. URLs are relative so the app works behind the gateway
// under any path prefix.
const $ = (id) => document.getElementById(id);

function noteView(note) {
  const article = document.createElement('article');
  const h2 = document.createElement('h2');
  h2.textContent = note.title;
  const p = document.createElement('p');
  p.textContent = note.body;
  const footer = document.createElement('footer');
  const when = document.createElement('span');
  when.className = 'muted';
  when.textContent = new Date(note.updated).toLocaleString();
  const del = document.createElement('button');
  del.textContent = 'Delete';
  del.onclick = async () => {
    await fetch(`api/notes/${note.id}`, { method: 'DELETE' });
    refresh();
  };
  footer.append(when, del);
  article.append(h2, p, footer);
  return article;
}

async function refresh() {
  const q = $('search').value.trim();
  const { version, notes } = await (await fetch(q ? `api/notes?q=${encodeURIComponent(q)}` : 'api/notes')).json();
  $('version').textContent = `v${version}`;
  $('notes').replaceChildren(...notes.map(noteView));
}

$('new').onsubmit = async (e) => {
  e.preventDefault();
  const res = await fetch('api/notes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: $('title').value, body: $('body').value }),
  });
  if (!res.ok) return alert((await res.json()).error);
  $('title').value = '';
  $('body').value = '';
  refresh();
};
let typing;
$('search').oninput = () => {
  clearTimeout(typing);
  typing = setTimeout(refresh, 200);
};
refresh();
