// Runs in the sandboxed page before the panel: exposes window.buckyosDesktop (bridge.ts) and nothing
// else. No Node, no ipcRenderer in the page: each method sends one fixed message, and main.ts answers
// only pages of the zone's origins.
import { contextBridge, ipcRenderer } from 'electron';
import type { BuckyosDesktopBridge, DesktopNotification, ZoneHealthReport } from './bridge.js';
import { BRIDGE, type BridgeInfo } from './ipc.js';

const info = ipcRenderer.sendSync(BRIDGE.info) as BridgeInfo;

const bridge: BuckyosDesktopBridge = {
  version: info.version,
  platform: info.platform,
  notify: (n: DesktopNotification) => ipcRenderer.invoke(BRIDGE.notify, n) as Promise<boolean>,
  openExternal: (url: string) => ipcRenderer.invoke(BRIDGE.openExternal, url) as Promise<boolean>,
  reportZoneHealth: (report: ZoneHealthReport) => ipcRenderer.send(BRIDGE.reportZoneHealth, report),
};

contextBridge.exposeInMainWorld('buckyosDesktop', bridge);
