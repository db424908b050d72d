// Container engine detection, reported as `support_container` in devices/<node>/info so the scheduler
// places container-only apps on nodes that can run them. Running containers is not implemented yet:
// an app that ships only a container image is refused with a clear deployment_error on every node
// (see resolveAppTarget), naming the missing engine where there is none.
import { execFile } from 'node:child_process';

export type ContainerEngine = 'docker' | 'podman';

export interface ContainerSupport {
  engine: ContainerEngine | undefined;
}

function answers(cmd: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(cmd, ['info'], { timeout: timeoutMs, windowsHide: true }, (err) => resolve(!err));
  });
}

let cached: Promise<ContainerSupport> | undefined;

/** The first engine whose `info` answers within the timeout; probed once per process. */
export function detectContainerSupport(timeoutMs = 3000): Promise<ContainerSupport> {
  cached ??= (async () => {
    for (const engine of ['docker', 'podman'] as const) if (await answers(engine, timeoutMs)) return { engine };
    return { engine: undefined };
  })();
  return cached;
}
