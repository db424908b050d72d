// The kernel services that have specs (spec 20 §2 build_kernel_service_spec). They run inside the
// OOD's kernel process, so their AppDoc names no package. system-config and the gateway are
// bootstrap services without specs, as upstream.
import { DEFAULT_PORTS } from '../lib/ports.js';
import type { KernelServiceSpec } from './types.js';
import { kapiPath } from '../api/krpc.js';

export const KERNEL_SERVICES: ReadonlyArray<{ name: string; port: number }> = [
  { name: 'verify-hub', port: DEFAULT_PORTS.verifyHub },
  { name: 'scheduler', port: DEFAULT_PORTS.scheduler },
  { name: 'repo-service', port: DEFAULT_PORTS.repo },
  // ours: the app-manager does what upstream's control-panel installer does; the control panel itself is
  // the renderer the gateway serves, so no control-panel spec until it has a service of its own.
  { name: 'app-manager', port: DEFAULT_PORTS.appManager },
];

export function buildKernelServiceSpec(name: string, port: number, count = 1): KernelServiceSpec {
  return {
    service_doc: { name, description: `BuckyOS kernel service ${name}`, pkg_list: {} },
    enable: true,
    app_index: 0,
    expected_instance_count: count,
    state: 'new',
    spec_config: {
      service_config: { www: { protocol: 'http', inner_port: port } },
      expose_config: { www: { expose_uri: kapiPath(name), allow_guest: false } },
    },
  };
}
