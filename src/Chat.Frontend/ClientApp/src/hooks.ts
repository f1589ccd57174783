import { useEffect, useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import { subscribe } from './store';

/** Re-renders the component whenever the store changes. */
export function useStore(): void {
  const [, force] = useReducer((x: number) => x + 1, 0);
  useLayoutEffect(() => {
    const unsubscribe = subscribe(() => force(0));
    force(0); // a change may have happened between the first render and this subscription
    return unsubscribe;
  }, []);
}

/** Re-renders every `ms` milliseconds (relative times, countdowns). */
export function useTicker(ms: number): void {
  const [, force] = useReducer((x: number) => x + 1, 0);
  useEffect(() => {
    const id = setInterval(() => force(0), ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Calls `handler` on Escape while mounted. */
export function useEscape(handler: () => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const listener = (e: KeyboardEvent) => {
      if (e.key === 'Escape') ref.current();
    };
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
