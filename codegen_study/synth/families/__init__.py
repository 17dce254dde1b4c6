"""Task families, one module per topic (a big topic takes two, e.g. `grids` and `grid_search`), plus
`common`, the vocabulary and layout helpers they share. Importing a module registers its families;
`family.families()` imports them all."""
