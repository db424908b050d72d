// A small password strength estimate for the meter (0 = unusable … 4 = strong). zxcvbn would be more
// thorough but weighs ~400 KB; this checks length, variety, and the owner's own names and obvious
// sequences, which is what people actually get wrong.

export type Strength = 0 | 1 | 2 | 3 | 4;
export const MIN_PASSWORD_LENGTH = 8;

const COMMON = ['password', '123456', 'qwerty', 'abc123', '111111', 'letmein', 'welcome', 'admin', 'iloveyou', 'buckyos'];

export function passwordStrength(password: string, personal: string[] = []): Strength {
  if (password.length < MIN_PASSWORD_LENGTH) return 0;
  const lower = password.toLowerCase();
  const words = [...COMMON, ...personal.map((p) => p.trim().toLowerCase()).filter((p) => p.length >= 3)];
  if (words.some((w) => lower.includes(w)) && lower.length < 16) return 1;
  if (/^(.)\1+$/.test(password) || /^(0123456789|abcdefghij|9876543210)/.test(lower)) return 1;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  let score = 1;
  if (password.length >= 12) score++;
  if (password.length >= 16) score++;
  if (classes >= 3) score++;
  if (classes <= 1 && password.length < 16) score--;
  return Math.max(1, Math.min(4, score)) as Strength;
}
