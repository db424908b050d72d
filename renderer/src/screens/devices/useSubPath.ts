// The part of the hash after #/devices: '' (the list), 'add', or 'd/<name>' (a device's page).
import { useEffect, useState } from 'react';

const read = () => (globalThis.location?.hash ?? '').replace(/^#\/?devices\/?/, '');

export function useSubPath(): string {
  const [sub, setSub] = useState(read);
  useEffect(() => {
    const on = () => setSub(read());
    globalThis.addEventListener('hashchange', on);
    return () => globalThis.removeEventListener('hashchange', on);
  }, []);
  return sub;
}

export const devicePath = (name: string) => `#/devices/d/${encodeURIComponent(name)}`;
export const ADD_PATH = '#/devices/add';
export const LIST_PATH = '#/devices';
