/*
 * libdbsync: the whole public API. dbsync/django.h is the Django app's part
 * (metadata, model source); dbsync/testing.h, for tests and tools, is not
 * included here.
 */
#ifndef DBSYNC_DBSYNC_H
#define DBSYNC_DBSYNC_H

#include "dbsync/common.h"
#include "dbsync/schema.h"
#include "dbsync/conn.h"
#include "dbsync/plan.h"
#include "dbsync/fleet.h"
#include "dbsync/inspect.h"
#include "dbsync/backup.h"
#include "dbsync/report.h"
#include "dbsync/django.h"

#endif
