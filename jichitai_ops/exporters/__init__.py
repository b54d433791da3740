"""Prometheus exporters of the project: UPSes behind NUT upsd (metric names of the widely used
DRuggeri/nut_exporter, so the same alert rules serve either) and the Kea DHCP pools."""
