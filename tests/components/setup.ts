// jest-dom matchers for every component test; @testing-library/svelte's vite plugin unmounts
// components after each test.
import '@testing-library/jest-dom/vitest';

// jsdom does no layout, so it has no ResizeObserver (Svelte's bind:clientHeight uses one).
// Sizes stay 0 there and the virtual list falls back to its default viewport height.
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
