window.dataLayer=window.dataLayer||[];window.dataLayer.push({event:'pv'});
