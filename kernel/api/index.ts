// kernel/api: the zone's contract, written once. Types and constants only, importing nothing outside
// this folder (no Node, no fastify), so the services, the CLI and the renderer (`import type`) share
// one declaration of every KV key, KV value, error code and kRPC method. See README.md.
export * from './keys.js';
export * from './errors.js';
export * from './identity.js';
export * from './zone.js';
export * from './krpc.js';
export * from './rbac.js';
export * from './pkg.js';
export * from './system-config.js';
export * from './verify-hub.js';
export * from './sudo.js';
export * from './activation.js';
export * from './join.js';
export * from './scheduler.js';
export * from './repo.js';
export * from './app-manager.js';
export * from './control-panel.js';
export * from './people.js';
export * from './devices.js';
export * from './permissions.js';
export * from './control-panel-ops.js';
export * from './gateway.js';
