/**
 * Which state directory a persist name belongs to. A pipeline registers its
 * components before their `init()`, so `new Persist(this.persistName)` finds
 * the right directory without being handed it.
 */
const dirs = new Map<string, string[]>();

/** Registers `persistName` under `stateDir`; returns the function that unregisters it. */
export function registerStateDir(persistName: string, stateDir: string): () => void {
  let stack = dirs.get(persistName);
  if (!stack) dirs.set(persistName, (stack = []));
  stack.push(stateDir);
  return () => {
    const s = dirs.get(persistName);
    if (!s) return;
    const i = s.lastIndexOf(stateDir);
    if (i >= 0) s.splice(i, 1);
    if (s.length === 0) dirs.delete(persistName);
  };
}

/** The state directory of the most recent registration of `persistName`. */
export function stateDirOf(persistName: string): string | undefined {
  const s = dirs.get(persistName);
  return s?.[s.length - 1];
}
