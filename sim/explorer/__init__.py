"""The interactive explorer: ``deterrence explore``, a Mesa SolaraViz page served on 127.0.0.1.

- :mod:`sim.explorer.levers`: the main levers as sliders, and the scenario parameter each sets;
- :mod:`sim.explorer.model`: the alliance model as SolaraViz builds it (keyword parameters,
  a narrator for the event log);
- :mod:`sim.explorer.figures`: the tile map and the series, drawn with matplotlib;
- :mod:`sim.explorer.components`: the page's panels (tile map, series, event log, outcomes);
- :mod:`sim.explorer.app`: the page (``solara run sim.explorer.app``);
- :mod:`sim.explorer.launch`: starting it offline, every asset served from the local install.

``levers``, ``model``, ``figures`` and ``launch`` need only the core install; ``components`` and
``app`` need the ``explore`` extra.
"""
