"""Raw inputs to encoded datasets: formats, genomes, peaks, motifs, tasks' examples, Zarr stores."""
