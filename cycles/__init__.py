"""Cycle counting (inventaire tournant, issue 21): plain rules, no Flask, no database.

ABC classes by share of annual consumption value, counts a year per class, the plan over the working
days, the book quantity at the moment of counting, the next round of a count, coverage and accuracy,
adjustment lines and their entries. Quantities are Decimals; money is integer cents.
"""
