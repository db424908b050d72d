// The one clock unit of every service's options: Unix milliseconds, so a test moves every service's
// time the same way. Wire formats that count seconds (JWT iat/exp, reports) derive them with unixSeconds.
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export const unixSeconds = (clock: Clock = systemClock) => Math.floor(clock() / 1000);
