"""The evidence bundle (CONTRACT.md §9): everything a complaint panel or a parent needs about one plan for a period,
with the chained events themselves, so that it can be checked offline.

- ``content.py`` — what a bundle *shows* (the plan at the start and end of the period, the changes, reviews and
  parent responses, planned versus delivered provision), computed from the chained events alone. Both the
  service and the offline check use it, so "what is shown is what was chained" is a comparison.
- ``build.py`` — assembles a bundle from the ledger: the events as stored, a signed receipt for their head.
- ``verify.py`` — checks a bundle with nothing but the bundle and the service's public key.
- ``render.py`` — the bundle as an HTML page and an A4 PDF, for people.
"""
