// The bridge's IPC channel names, shared by main.ts and preload.ts (the renderer never sees them).
export const BRIDGE = {
  info: 'buckyos-desktop:info',
  notify: 'buckyos-desktop:notify',
  openExternal: 'buckyos-desktop:open-external',
  reportZoneHealth: 'buckyos-desktop:zone-health',
} as const;

/** What the preload asks for once, synchronously, to fill the bridge's constant fields. */
export interface BridgeInfo {
  version: string;
  platform: string;
}
