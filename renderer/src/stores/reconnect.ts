// When the kernel stops answering, the banner says so and this probes the gateway every few seconds;
// when it answers again the banner goes and the current screen reloads its data.
import { useEffect } from 'react';
import { kernelOrigin } from '../api/krpc';
import { useSession } from './session';

const PROBE_EVERY_MS = 2000;

export async function gatewayAnswers(fetchImpl: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetchImpl(`${kernelOrigin()}/kapi/verify_hub`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'verify_token', params: {}, sys: [0] }), signal: AbortSignal.timeout(3000),
    });
    // Any kRPC answer (even a refusal) means verify-hub is up behind the gateway.
    return res.ok;
  } catch {
    return false;
  }
}

export function useReconnect(): void {
  const reachable = useSession((s) => s.reachable);
  useEffect(() => {
    if (reachable) return;
    let stopped = false;
    const timer = setInterval(async () => {
      if (!stopped && (await gatewayAnswers())) useSession.getState().setReachable(true);
    }, PROBE_EVERY_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [reachable]);
}
