/* libdbsync: the whole public API. */
#ifndef DBSYNC_DBSYNC_H
#define DBSYNC_DBSYNC_H

#include "dbsync/common.h"
#include "dbsync/schema.h"
#include "dbsync/conn.h"
#include "dbsync/plan.h"
#include "dbsync/inspect.h"
#include "dbsync/backup.h"
#include "dbsync/report.h"

#endif
