"""Every compiled (numba) kernel of cmsim, kept in one private package.

Kernels take arrays and scalars and fill arrays; they never import plotting, widgets, mesa or
networkx. ``layout`` names the columns of the packed parameter, timeline, manager and output
arrays; ``rng`` is the counter-based random number generator; ``graphs`` builds member graphs;
``step`` advances a community by days.
"""
