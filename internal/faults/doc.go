// Package faults holds tests only. They build the onramp binary, run it as
// separate processes and break what is around it with real signals and
// real outages: kill -9 under a load of wizard flows, an SMTP server that is
// away, a PostgreSQL server restarted under it, SIGTERM with open websockets
// and running jobs, and two replicas on one database.
package faults
