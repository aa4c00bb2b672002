"""The spreadsheet toolkit every importer and export shares (style.md habit 13): reading a
clerk's file whatever its format (``reader``), finding its header (``layout``, ``columns``),
the clerk's-own-rows error report (``report``), an upload kept between "check it" and "save it"
(``uploads``) and the one Excel writer (``writer``). An app brings its own column set and value
parsers; nothing here knows what a ledger or a check-up is."""
