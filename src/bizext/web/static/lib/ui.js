// The one place that imports the vendored libraries: Preact with hooks, and htm for templates without a build.
import { h, render, Fragment, createContext } from '../vendor/preact.module.js';
import { useState, useEffect, useMemo, useCallback, useRef, useContext } from '../vendor/preact-hooks.module.js';
import htm from '../vendor/htm.module.js';

export const html = htm.bind(h);
export { h, render, Fragment, createContext, useState, useEffect, useMemo, useCallback, useRef, useContext };

let chartLoading = null;
/** Chart.js (UMD, sets window.Chart), loaded the first time a page draws a chart. */
export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLoading ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/static/vendor/chart.umd.min.js';
    s.onload = () => resolve(window.Chart);
    s.onerror = () => reject(new Error('chart library failed to load'));
    document.head.append(s);
  });
  return chartLoading;
}
