window.__gcMetrics=window.__gcMetrics||[];
