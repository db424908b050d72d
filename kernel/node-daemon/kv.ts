// The slice of system-config the node-daemon needs: read its node config, write reports and device
// info, and follow changes. SystemConfigClient provides it; tests and other hosts may pass anything
// with the same four methods.
import type { SystemConfigClient } from '../system-config/client.js';

export type NodeKv = Pick<SystemConfigClient, 'get' | 'set' | 'delete' | 'watchLoop'>;
