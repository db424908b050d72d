import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDeviceInfo, type HostSample } from './device-info.js';

const MiB = 1024 * 1024;
const host: HostSample = {
  arch: 'arm64', platform: 'linux', hostname: 'nas', release: 'Linux 6.1',
  cpus: [{ model: 'A72', speed: 1500 }, { model: 'A72', speed: 1500 }],
  totalMem: 4096 * MiB, freeMem: 4096 * MiB - 1000 * MiB,
  interfaces: {
    lo: [{ address: '127.0.0.1', internal: true, family: 'IPv4', netmask: '255.0.0.0', mac: '', cidr: null }],
    eth0: [{ address: '192.168.1.20', internal: false, family: 'IPv4', netmask: '255.255.255.0', mac: '', cidr: null }],
  },
};

test('device info carries the device doc plus this machine', () => {
  const info = buildDeviceInfo({ deviceDoc: { name: 'nas1', device_type: 'node' }, host, containerEngineFound: true, nowSeconds: 1000, extraIps: ['127.4.5.6'] });
  assert.equal(info.name, 'nas1');
  assert.equal(info.arch, 'aarch64');
  assert.equal(info.os, 'linux');
  assert.equal(info.cpu_num, 2);
  assert.equal(info.total_mem, 4096 * MiB);
  assert.deepEqual(info.all_ip, ['192.168.1.20', '127.4.5.6']);
  assert.equal(info.support_container, true);
  assert.equal(info.update_time, 1000);
});

test('memory use is rounded to 64 MiB so small changes do not rewrite the scheduler input', () => {
  const a = buildDeviceInfo({ deviceDoc: {}, host, containerEngineFound: false, nowSeconds: 0 });
  const b = buildDeviceInfo({ deviceDoc: {}, host: { ...host, freeMem: host.freeMem - 5 * MiB }, containerEngineFound: false, nowSeconds: 0 });
  assert.equal(a.mem_usage % (64 * MiB), 0);
  assert.equal(a.mem_usage, b.mem_usage);
  assert.equal(a.mem_usage, 1024 * MiB);
});

test('a device doc that forbids containers wins over a detected engine', () => {
  const info = buildDeviceInfo({ deviceDoc: { support_container: false }, host, containerEngineFound: true, nowSeconds: 0 });
  assert.equal(info.support_container, false);
});

test('the advertised gateway address heads ips, before any the device doc lists', () => {
  const info = buildDeviceInfo({ deviceDoc: { ips: ['192.168.1.20'] }, host, containerEngineFound: false, nowSeconds: 0, advertiseIps: ['127.4.5.6'] });
  assert.deepEqual(info.ips, ['127.4.5.6', '192.168.1.20']);
  const none = buildDeviceInfo({ deviceDoc: {}, host, containerEngineFound: false, nowSeconds: 0 });
  assert.equal(none.ips, undefined);
});

test('disk: the data folder\'s file system size and use (upstream total_space / disk_usage), use rounded to 256 MiB', () => {
  const GiB = 1024 * MiB;
  const a = buildDeviceInfo({ deviceDoc: {}, host: { ...host, disk: { total: 100 * GiB, free: 40 * GiB } }, containerEngineFound: false, nowSeconds: 0 });
  assert.equal(a.total_space, 100 * GiB);
  assert.equal(a.disk_usage, 60 * GiB);
  const b = buildDeviceInfo({ deviceDoc: {}, host: { ...host, disk: { total: 100 * GiB, free: 40 * GiB - 3 * MiB } }, containerEngineFound: false, nowSeconds: 0 });
  assert.equal(b.disk_usage, a.disk_usage);
  const none = buildDeviceInfo({ deviceDoc: {}, host, containerEngineFound: false, nowSeconds: 0 });
  assert.equal('total_space' in none, false);
});
