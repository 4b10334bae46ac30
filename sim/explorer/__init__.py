"""The interactive explorer: ``deterrence explore``, a Mesa SolaraViz page served on 127.0.0.1.

- :mod:`sim.explorer.levers`: the main levers as sliders, and the scenario parameter each sets;
- :mod:`sim.explorer.model`: the alliance model as SolaraViz builds it (keyword parameters,
  a narrator for the event log);
- :mod:`sim.explorer.components`: the page's panels (tile map, series, event log, outcomes);
- :mod:`sim.explorer.app`: the page (``solara run sim.explorer.app``);
- :mod:`sim.explorer.launch`: starting it offline, every asset served from the local install.

The first two need only the core install; the others need the ``explore`` extra.
"""
