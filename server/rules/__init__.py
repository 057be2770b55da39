"""The official scoring table in the hands of those who hold the decision.

Rule sets as spreadsheets (`spreadsheet`), what changed between two versions (`items`), versions
stored in the database: drafts, two-person verification and publication (`versions`), which version
a period uses for each province or district (`assign`), and what a new version would change before
it is applied (`whatif`). Every check of a rule file is `scoring.ruleset`'s, run on the document.
"""
