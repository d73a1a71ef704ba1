//! Side-by-side deconfliction benchmark and PostGIS oracle for `corridor-geo`.
