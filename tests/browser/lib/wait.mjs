// Every wait in these tests is a condition with a generous deadline — never a fixed sleep.

export const DEADLINE_MS = Number(process.env.CHAT_BROWSER_DEADLINE_MS ?? 30_000);

/**
 * Polls `condition` (sync or async) until it returns a truthy value, which is returned. Throws when
 * the deadline passes, with `what` and the last error or details in the message.
 */
export async function eventually(condition, { timeoutMs = DEADLINE_MS, intervalMs = 100, what = 'a condition', details } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
      if (error?.fatal) throw error;
    }
    if (Date.now() > deadline) {
      const extra = details ? `\n${await details()}` : '';
      const cause = lastError ? `; last error: ${lastError.message ?? lastError}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
