// System settings: the config browser. The zone's settings as a tree (one level loaded at a time), the
// chosen key's value with its revision, kept live; read-only until the owner asks to change a value
// (then: the sudo step and a confirm). Secrets are never shown, and what the kernel refuses this
// person is said in plain words.
import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PanelError } from '../../api/krpc';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useSession } from '../../stores/session';
import { EditValue } from './EditValue';
import { useSettings } from './store';
import { childKey, prettyValue } from './tree';
import './settings.css';

const refused = (e: unknown) => e instanceof PanelError && e.code === 'PERMISSION_DENIED';

export default function SettingsScreen() {
  const { t } = useTranslation();
  const { folders, live, loadRoot, startWatch } = useSettings();
  const reachable = useSession((s) => s.reachable);
  // The tree stays as it was while the kernel is away; when it is back, what is open is listed again.
  useEffect(() => { if (reachable) void loadRoot(); }, [loadRoot, reachable]);
  useEffect(() => (reachable ? startWatch() : undefined), [startWatch, reachable]);
  const root = folders[''];

  return (
    <div data-screen="settings">
      <div className="topbar">
        <h1>{t('settings.title')}</h1>
        <span className={`badge ${live ? 'badge-ok' : 'badge-muted'}`} data-live={live} role="status">{t(live ? 'settings.live' : 'settings.notLive')}</span>
      </div>
      <p className="muted settings-intro">{t('settings.intro')}</p>
      <div className="settings-layout">
        <nav className="card settings-tree" aria-label={t('settings.treeLabel')}>
          {root?.error !== undefined ? <FolderError error={root.error} onRetry={() => void loadRoot()} />
            : !root?.children ? <p className="muted" role="status">{t('common.loading')}</p>
            : <Folder parent="" names={root.children} depth={0} />}
        </nav>
        <ValuePanel />
      </div>
    </div>
  );
}

function Folder({ parent, names, depth }: { parent: string; names: string[]; depth: number }) {
  const { t } = useTranslation();
  if (names.length === 0) return <p className="muted tree-empty">{t('settings.emptyFolder')}</p>;
  return (
    <ul className="tree" data-folder={parent}>
      {names.map((name) => <TreeNode key={name} k={childKey(parent, name)} name={name} depth={depth} />)}
    </ul>
  );
}

function TreeNode({ k, name, depth }: { k: string; name: string; depth: number }) {
  const { t } = useTranslation();
  const folder = useSettings((s) => s.folders[k]);
  const selected = useSettings((s) => s.selected === k);
  const changedAt = useSettings((s) => s.values[k]?.changedAt);
  const toggle = useSettings((s) => s.toggle);
  const open = !!folder?.open;
  return (
    <li>
      <button type="button" className="tree-row" data-key={k} aria-expanded={open} aria-current={selected ? 'true' : undefined}
        style={{ paddingLeft: `calc(var(--space-2) + ${depth} * var(--space-4))` }} onClick={() => void toggle(k)}>
        <span className="tree-caret" aria-hidden="true">{folder?.children?.length === 0 ? '·' : open ? '▾' : '▸'}</span>
        <span className="tree-name">{name}</span>
        {changedAt !== undefined && Date.now() - changedAt < 10_000 && <span className="badge badge-ok tree-changed">{t('settings.changed')}</span>}
      </button>
      {open && (folder?.error !== undefined ? <FolderError error={folder.error} onRetry={() => void useSettings.getState().listFolder(k)} />
        : folder?.children ? (folder.children.length > 0 && <Folder parent={k} names={folder.children} depth={depth + 1} />)
        : <p className="muted tree-empty" role="status">{t('common.loading')}</p>)}
    </li>
  );
}

function FolderError({ error, onRetry }: { error: unknown; onRetry(): void }) {
  const { t } = useTranslation();
  if (refused(error)) return <p className="muted tree-empty" data-refused>{t('settings.folderRefused')}</p>;
  return <div className="tree-empty"><ErrorNotice error={error} onRetry={onRetry} /></div>;
}

/** A key that breaks after its slashes, not inside a name. */
function KeyPath({ k }: { k: string }) {
  const parts = k.split('/');
  return <>{parts.map((p, i) => <span key={i}>{p}{i < parts.length - 1 && <>/<wbr /></>}</span>)}</>;
}

function ValuePanel() {
  const { t, i18n } = useTranslation();
  const selected = useSettings((s) => s.selected);
  const value = useSettings((s) => (s.selected !== undefined ? s.values[s.selected] : undefined));
  const readValue = useSettings((s) => s.readValue);
  let body: ReactNode;
  if (selected === undefined) body = <p className="muted" data-empty="value">{t('settings.pick')}</p>;
  else if (!value || (value.loading && !value.entry)) body = <p className="muted" role="status">{t('common.loading')}</p>;
  else if (value.error !== undefined) {
    body = refused(value.error) ? (
      <div className="notice notice-info" data-refused>
        <strong>{t('settings.refused')}</strong>
        <p>{t('settings.refusedNext')}</p>
      </div>
    ) : <ErrorNotice error={value.error} onRetry={() => void readValue(selected)} />;
  } else if (value.entry && value.entry.secret && value.entry.value === null) {
    body = (
      <div className="notice notice-info" data-secret>
        <strong>{t('settings.secret')}</strong>
        <p>{t('settings.secretWhy')}</p>
      </div>
    );
  } else if (!value.entry || value.entry.value === null) {
    body = <p className="muted" data-empty="folder">{t('settings.noValue')}</p>;
  } else {
    const pretty = prettyValue(value.entry.value);
    body = (
      <>
        {value.entry.secret && <p className="notice notice-info" data-partly-secret>{t('settings.partlySecret')}</p>}
        <pre className="settings-value" tabIndex={0} aria-label={t('settings.valueOf', { key: selected })} data-value>{pretty.text}</pre>
      </>
    );
  }
  const version = value?.entry?.version;
  return (
    <section className="card settings-value-panel" aria-labelledby="settings-key" data-selected={selected}>
      <div className="settings-value-head">
        <h2 id="settings-key" className="settings-key">{selected === undefined ? t('settings.valueTitle') : selected ? <KeyPath k={selected} /> : t('settings.root')}</h2>
        {selected !== undefined && <Button kind="quiet" disabled={value?.loading} onClick={() => void readValue(selected)}>{t('common.refresh')}</Button>}
      </div>
      {version !== undefined && version > 0 && (
        <p className="muted" data-revision={version}>
          {t('settings.revision', { revision: new Intl.NumberFormat(i18n.language).format(version) })}
          {value?.changedAt !== undefined && <> · <span className="badge badge-ok" role="status">{t('settings.changedLive')}</span></>}
        </p>
      )}
      {body}
      {selected !== undefined && value?.entry?.value != null && !value.entry.secret && value.error === undefined && (
        <EditValue key={selected} k={selected} value={value.entry.value} version={value.entry.version} />
      )}
    </section>
  );
}
