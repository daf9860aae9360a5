window.__demoMetrics=window.__demoMetrics||[];
