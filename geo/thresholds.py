"""Policy thresholds, with the documents that define them. Every other module imports these.

Speeds are download speeds in Mbit/s unless named ``*_UPLOAD_*``.
"""

from __future__ import annotations

#: Broadband Universal Service Obligation: a "decent" connection is at least 10 Mbit/s download
#: and 1 Mbit/s upload. Source: The Electronic Communications (Universal Service) (Broadband)
#: Order 2018 (SI 2018/445), in force 20 March 2020; Ofcom Connected Nations uses it for
#: "premises below the USO" / "unable to receive decent broadband".
USO_DOWNLOAD_MBIT = 10
USO_UPLOAD_MBIT = 1

#: Kilobits per second in one Mbit/s (SI prefixes: 1 kbit = 1,000 bits). Ookla's open data tiles
#: give speeds in kbps (``avg_d_kbps``), so 10 Mbit/s is 10,000 kbps there.
KBPS_PER_MBIT = 1000

#: Superfast broadband: at least 30 Mbit/s download. Source: Ofcom Connected Nations
#: methodology ("SFBB"), matching the UK Government's superfast definition (BDUK).
SUPERFAST_MBIT = 30

#: Ultrafast broadband: at least 300 Mbit/s download (Ofcom Connected Nations "UFBB"); Ofcom
#: also reports a 100 Mbit/s ultrafast tier, "UFBB (100Mbit/s)".
ULTRAFAST_MBIT = 300
ULTRAFAST_100_MBIT = 100

#: Gigabit-capable: at least 1000 Mbit/s download. Source: Ofcom Connected Nations; DCMS
#: Project Gigabit target of 99% gigabit-capable coverage by 2032.
GIGABIT_MBIT = 1000

#: A mobile not-spot: no 4G coverage from any of the four operators (Ofcom Connected Nations
#: mobile files, "{tech}_..._0" columns: share covered by exactly 0 operators).
MOBILE_NOTSPOT_OPERATORS = 0

#: A ward is a fixed broadband not-spot when at least this share of its premises (%) is below
#: the broadband USO (10 Mbit/s down, 1 up). A local choice, not an official definition: 1 in
#: 100 premises is about 8 times the share across all UK authorities (0.13% of premises,
#: premises-weighted, Ofcom Connected Nations July 2025 local-authority file), and only 15 of
#: its 361 authorities reach 1% as a whole.
FIXED_NOT_SPOT_PCT = 1.0

#: A ward is a mobile not-spot when at least this share of its premises (%) is in Ofcom's
#: mobile not-spot postcodes (some premises there lack reliable indoor signal from every
#: network); without that list, an authority is one when this share of its premises has no
#: indoor 4G from any of the four operators (Ofcom Connected Nations, local-authority file).
#: The same 1 in 100 as :data:`FIXED_NOT_SPOT_PCT`, so a double not-spot asks the same of both.
MOBILE_NOT_SPOT_PCT = 1.0

#: Mobile signal rating from which Ofcom counts a premises as covered: its Connected Nations
#: API rates each premises 0 (no signal predicted), 1 (red: reliable signal unlikely), 2
#: (amber: may have problems), 3 (green: good coverage, a data rate for basic web services) or
#: 4 (enhanced: good coverage indoors and an enhanced data rate); Ofcom's published coverage
#: figures count 3 and above. Source: Ofcom Connected Nations API description (premises
#: ratings) and Connected Nations methodology; see ``../shared/reference/ofcom_api.md``.
MOBILE_COVERED_RATING = 3

#: The stricter reading shown beside Ofcom's: covered only at the enhanced rating 4.
MOBILE_COVERED_RATING_STRICT = 4

#: Ratings the Connected Nations API gives (0 to 4).
MOBILE_RATINGS = range(0, 5)
