"""What the load knows of the demo county: its codes, and the names of the table's rows (one
per page, whatever its child or page number), in the order the report lists them."""

COUNTY, SCHOOL = "990101000000", "9900000001"  # the demo county and its first school

DASHBOARD = "county dashboard  /"
REGISTER = "school register  /children/"
TASKS = "我的任务  /care/"
CHILD = "child page  /children/[id]/"
RECORD_FORM = "care record form  GET /care/record/"
RECORD_POST = "care record  POST /care/record/"
STATS_API = "stats API  /api/v1/stats/"
PAGES = [DASHBOARD, REGISTER, TASKS, CHILD, RECORD_FORM, RECORD_POST, STATS_API]
