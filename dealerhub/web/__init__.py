"""The dealer-website surface: CORS for publishable keys, dealerhub.js and its example page."""
