// Hash routes (#/home, #/apps …): the build stays relocatable (no server rewrite needed, works from a
// file:// or app:// origin in Electron) and a reload keeps the screen.
import { create } from 'zustand';

export const ROUTES = ['home', 'apps', 'people', 'devices', 'settings', 'permissions', 'scheduler'] as const;
export type Route = (typeof ROUTES)[number];

export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'home';
}

interface RouterState {
  route: Route;
  go(route: Route): void;
}

export const useRouter = create<RouterState>()((set) => ({
  route: parseRoute(globalThis.location?.hash ?? ''),
  go(route) {
    if (globalThis.location) globalThis.location.hash = `#/${route}`;
    set({ route });
  },
}));

globalThis.addEventListener?.('hashchange', () => useRouter.setState({ route: parseRoute(location.hash) }));
