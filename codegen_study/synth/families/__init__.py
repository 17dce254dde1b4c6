"""Task families, one module per topic group; importing a module registers its families."""
