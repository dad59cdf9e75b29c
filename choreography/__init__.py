"""Choreography: rigs, move libraries and the solver that maps an analysis to keyframes.

Arrives with issue 4; this package holds the shared layout until then.
"""
