// The slice of system-config the node-daemon needs: read its node config, write reports and device
// info, and follow changes. SystemConfigClient provides it; tests and other hosts may pass anything
// with the same four methods.
import type { KvPort } from '../api/zone.js';

export type NodeKv = Pick<KvPort, 'get' | 'set' | 'delete' | 'watchLoop'>;
