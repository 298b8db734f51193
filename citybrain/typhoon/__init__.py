"""Typhoon defence (防台风): JMA wind radii, the asymmetric wind circles between fixes, and who is in
their path (distances, arrival of the 30-kt circle, closest approach)."""
