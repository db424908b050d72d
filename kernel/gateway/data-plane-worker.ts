// Entry of the data-plane worker thread (service.ts starts it): runs the DataPlane with the config it
// was started with, takes route tables and certificates from the control plane, reports its ports.
import { parentPort, workerData } from 'node:worker_threads';
import { DataPlane, type DataPlaneConfig, type ListenerKind } from './data-plane.js';
import { loadDialer, type DialerModule } from './dial.js';
import type { RouteTable } from './routes.js';

export type ToDataPlane =
  | { type: 'routes'; table: RouteTable }
  | { type: 'cert'; kind: ListenerKind; tls: { key: string; cert: string } }
  | { type: 'stop' };
export type FromDataPlane =
  | { type: 'listening'; ports: number[] }
  | { type: 'failed'; code?: string; message: string }
  | { type: 'stopped' };

export interface DataPlaneWorkerData {
  config: DataPlaneConfig;
  dialer?: DialerModule;
  table: RouteTable;
}

const port = parentPort!;
const post = (m: FromDataPlane) => port.postMessage(m);
const data = workerData as DataPlaneWorkerData;
try {
  const plane = new DataPlane(data.config, await loadDialer(data.dialer));
  plane.setRoutes(data.table);
  port.on('message', (m: ToDataPlane) => {
    if (m.type === 'routes') plane.setRoutes(m.table);
    else if (m.type === 'cert') plane.setCertificate(m.kind, m.tls);
    else if (m.type === 'stop') void plane.close().then(() => { post({ type: 'stopped' }); port.close(); });
  });
  post({ type: 'listening', ports: await plane.listen() });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  post({ type: 'failed', code: err.code, message: err.message });
}
