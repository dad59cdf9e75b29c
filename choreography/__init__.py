"""Choreography: rigs, move libraries, pins and the solver that maps an analysis to keyframes; mouth shapes."""
