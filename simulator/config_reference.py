"""The configuration reference (docs/configuration.md), generated from the settings and template
models so that it cannot drift from them: `python -m simulator.config_reference` rewrites it,
tests/test_config_reference.py fails when the file and the models disagree.

One row per key: its name as written in the file, type and default (from the model), meaning
(the field's description, else MEANINGS below), the TypeScript simulator's default and type
where they differ (docs/ts-simulator-keys.json, simulator/seed_keys.py), and the tests that
show its behaviour (TESTS).
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulator.config import Settings
from simulator.config_loading import _NESTED_RENAMED_KEYS, _RENAMED_KEYS
from simulator.model_keys import display_key
from simulator.seed_keys import SeedRow, load_seed_rows
from simulator.template_model import _RENAMED_TEMPLATE_KEYS, StationTemplate, no_behaviour_reason

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PATH = REPO / "docs" / "configuration.md"

# (title, file, section of the TS README's tables, root model): the files a user writes.
ROOTS: tuple[tuple[str, str, str, type[BaseModel]], ...] = (
    ("config.json", "config.json", "config.json", Settings),
    ("Station templates", "templates/<name>.json", "template", StationTemplate),
)

T = "tests/"

# Meaning of the keys whose field has no description. Where evsim departs from the TS
# simulator, the text says how.
MEANINGS: dict[str, str] = {
    # config.json
    "supervisionUrls": "CSMS URL or list of URLs (`ws://`, `wss://`); a station connects to "
    "`<url>/<stationId>`. A template's own supervisionUrls win",
    "supervisionUrlDistribution": "which of several supervisionUrls a station takes: "
    "`round-robin` (by global station index), `random` (seeded by `seed`), "
    "`charging-station-affinity` (stable hash of the station id)",
    "logStatisticsInterval": "seconds between fleet summaries in the log and performance "
    "record writes (0: no summary; records then every 60 s); changes live",
    "logConsole": "log to stderr as well",
    "logFormat": "`simple` (one text line per record) or `json` (one JSON object per line). "
    "Other winston formats cannot exist here: a warning, then `simple`",
    "logRotate": "rotate logFile and logErrorFile daily (at the first record of a new day; a "
    "file left from an earlier day is rotated at start). The supervisor rotates; worker "
    "processes reopen the files it rotated",
    "logMaxFiles": "rotated files kept per log file when logRotate is on; older ones deleted",
    "logLevel": "lowest level logged: winston's names (emerg, alert, crit, error, warning, "
    "notice, info, http, verbose, debug, silly) or loguru's (trace, success, critical)",
    "logFile": "file receiving every record at logLevel and above, relative to the config "
    "file's directory; empty: none",
    "logErrorFile": "file receiving the error records (ERROR and above) of the supervisor "
    "and worker processes, relative to the config file's directory; empty: none",
    "worker": "how stations are spread over worker processes",
    "worker.processType": "`workerSet` (a new worker each elementsPerWorker stations), "
    "`staticPool` (poolMaxSize workers), `dynamicPool` (from poolMinSize to poolMaxSize)",
    "worker.elementsPerWorker": "stations per worker (workerSet); `auto` (the default, as the TS "
    "4.x README has it: one worker per core, more only when a worker's share passes the "
    "open-file limit; stations spread over them, added ones too) or `all` (one worker); a "
    "number making more than 4 x cores workers logs a warning",
    "worker.poolMinSize": "workers a dynamic pool keeps when idle",
    "worker.poolMaxSize": "workers of a static pool; the most a dynamic pool opens",
    "worker.poolStrategy": "poolifier's worker choice strategy: `ROUND_ROBIN`, or `LEAST_USED` "
    "and the other names (placed on the worker with fewest stations)",
    "uiServer": "the UI server: WebSocket protocol `ui0.0.1`, HTTP procedures, web page, /metrics",
    "uiServer.enabled": "serve the UI",
    "uiServer.type": "`ws` (WebSocket and HTTP) or `http` (HTTP only)",
    "uiServer.options": "where the UI server listens",
    "uiServer.options.host": "interface to bind",
    "uiServer.options.port": "port to bind (0: any free port); in use: start-up stops, exit 2",
    "uiServer.authentication": "credentials the UI asks for",
    "uiServer.authentication.enabled": "ask for credentials",
    "uiServer.authentication.type": "`basic-auth` (HTTP Authorization header) or "
    "`protocol-basic-auth` (in the WebSocket subprotocol)",
    "uiServer.authentication.username": "user name (required when enabled)",
    "uiServer.authentication.password": "password (required when enabled)",
    "performanceStorage": "where per-station performance records are written",
    "performanceStorage.enabled": "write performance records",
    "performanceStorage.type": "`jsonfile`, `sqlite`, `mongodb` or `none`",
    "performanceStorage.uri": "where: `file:///abs/path.json`, `sqlite:///rel.db` (relative "
    "to stateDir), `mongodb://host:port/db`; none: the type's default under stateDir (also "
    "read as `URI`)",
    "stationTemplateUrls": "the templates to run and how many stations of each",
    "stationTemplateUrls[].file": "template file: next to config.json, then in its "
    "`station-templates/`, then in `../templates/`; absolute paths and file:// URLs as is",
    "stationTemplateUrls[].numberOfStations": "stations made from the template",
    "stationTemplateUrls[].provisionedNumberOfStations": "stations planned after the "
    "numberOfStations ones (ids, hashIds, so their persisted state, the same every run) but "
    "not started: the UI's addChargingStations of the template starts them first, lowest "
    "index first; a file listed again is numbered after them",
    "persistState": "false: no station state file at all (configuration keys, transaction "
    "queue, meters, profiles live in the worker's memory only and are gone at the next "
    "start); performanceStorage is its own setting",
    "seed": "evsim: run seed of every station's randomness (serial numbers, connectors, "
    "ATG, random URL distribution): a seed replays the same fleet",
    "stateDir": "evsim: directory of persisted station state and default performance records",
    "shardIndex": "evsim: which shard of the fleet this instance runs (0-based)",
    "shardCount": "evsim: number of instances the fleet is split over",
    "connectionRatePerWorker": "evsim: new station connections per second per worker "
    "process (a burst of one second's worth); 0: no limit",
    "stateWriteAhead": "evsim: a transaction message leaves only once the station state holding "
    "it is on disk (a killed simulator never forgets what it told the CSMS); false: the state "
    "is written within 10 s and messages do not wait (less CPU; a kill may lose or repeat up "
    "to that)",
    # station template
    "supervisionUser": "HTTP basic auth user towards the CSMS",
    "supervisionPassword": "HTTP basic auth password towards the CSMS",
    "supervisionUrlOcppConfiguration": "let a vendor OCPP configuration key set the "
    "supervision URL",
    "supervisionUrlOcppKey": "that vendor key's name",
    "ocppVersion": "OCPP version: `1.6`; `2.0` (read as 2.0.1) and `2.0.1` stop the start: "
    "not available yet",
    "ocppProtocol": "OCPP protocol: `json` (OCPP-J) only; `soap` stops the start",
    "ocppStrictCompliance": "strict adherence to the OCPP 1.6 specification",
    "ocppPersistentConfiguration": "persist OCPP configuration keys by hashId",
    "stationInfoPersistentConfiguration": "persist station information by hashId",
    "transactionQueueMaxLength": "evsim: bound of the queue of transaction messages kept "
    "while offline; past it the oldest MeterValues that are no transaction boundary are "
    "dropped",
    "resetFailedAttempts": "evsim failure injection: the first reset attempts that fail "
    "(ResetRetries); 0: every reset succeeds",
    "wsOptions": "node `ws` client options with a websockets equivalent: "
    "`handshakeTimeout` (ms), `perMessageDeflate`, `maxPayload`, `headers`, TLS `ca`, `cert`, "
    "`key`, `passphrase`, `rejectUnauthorized`; the other (Node-only) options are ignored",
    "authorizationFile": "JSON list of idTags for the ATG and local authorization, relative "
    "to the config file's directory; watched and pushed to the stations when it changes "
    "(also read as `idTagsFile`)",
    "baseName": "station id prefix: `<baseName>-<instance><index:04d><nameSuffix>`",
    "nameSuffix": "station id suffix",
    "fixedName": "the station id is baseName alone (one station per template)",
    "chargePointModel": "BootNotification chargePointModel; part of the hashId",
    "chargePointVendor": "BootNotification chargePointVendor; part of the hashId",
    "chargePointSerialNumberPrefix": "BootNotification chargePointSerialNumber prefix; a "
    "suffix from the run seed and station id completes it",
    "chargeBoxSerialNumberPrefix": "BootNotification chargeBoxSerialNumber prefix (deprecated "
    "in OCPP 1.6, still sent)",
    "meterSerialNumberPrefix": "BootNotification meterSerialNumber prefix",
    "meterType": "BootNotification meterType (at most 25 characters); part of the hashId, as in "
    "the TS simulator",
    "iccid": "BootNotification iccid (at most 20 characters)",
    "imsi": "BootNotification imsi (at most 20 characters)",
    "firmwareVersion": "BootNotification firmwareVersion (UpdateFirmware replaces it)",
    "firmwareVersionPattern": "regular expression (searched, as JavaScript's RegExp.test) the "
    "version an UpdateFirmware would install must match, else InstallationFailed and the "
    "version stays; absent: any version (versionUpgrade then reads the version as semver, the "
    "TS default pattern)",
    "postTransactionDelay": "seconds a connector stays Finishing after a stop (section 4.9 C6, "
    "then F1 Available), as a charger whose cable is still plugged; meanwhile a new user may "
    "start (F2 Preparing) and the ATG waits; 0: Available at once",
    "power": "station maximum power (a list: one value drawn per station), in powerUnit",
    "powerSharedByConnectors": "the station power is shared by the charging connectors",
    "powerUnit": "unit of power: `W` or `kW`",
    "currentOutType": "`AC` or `DC`",
    "voltageOut": "output voltage (V)",
    "numberOfPhases": "phases: 0 (DC), 1 or 3",
    "numberOfConnectors": "connector count (a list: one value drawn per station); without "
    "it, the Connectors defined",
    "useConnectorId0": "keep the template's connector 0 definition",
    "randomConnectors": "shuffle the connector definitions over the connector ids",
    "resetTime": "seconds a Reset keeps the station away",
    "resetCloseDelay": "evsim: seconds between the Reset.conf leaving and the WebSocket closing "
    "(so the CSMS reads the answer first); resetTime counts from the close",
    "autoRegister": "consider the station registered without an accepted BootNotification",
    "autoReconnectMaxRetries": "reconnect attempts before giving up (-1: forever)",
    "reconnectExponentialDelay": "capped exponential back-off with jitter between reconnects "
    "(else ConnectionTimeOut +/- 20 %)",
    "registrationMaxRetries": "BootNotification attempts while not accepted (-1: forever)",
    "amperageLimitationOcppKey": "OCPP key holding the amperage limit (per phase and "
    "connector on AC, station-wide on DC)",
    "amperageLimitationUnit": "unit of that key's value: `A`, `cA`, `dA`, `mA`",
    "enableStatistics": "keep the station's statistics and performance record",
    "mustAuthorizeAtRemoteStart": "authorize a remote start first when "
    "AuthorizeRemoteTxRequests is on",
    "payloadSchemaValidation": "validate outgoing CALLs, incoming answers and our replies "
    "against the OCPP 1.6 JSON schemas (incoming CALLs always are)",
    "beginEndMeterValues": "send Transaction.Begin and Transaction.End MeterValues",
    "outOfOrderEndMeterValues": "send the Transaction.End MeterValues after StopTransaction",
    "meteringPerTransaction": "energy register per transaction (meterStart 0), else per "
    "connector (monotone across transactions)",
    "transactionDataMeterValues": "StopTransaction carries transactionData",
    "mainVoltageMeterValues": "include the line-to-neutral voltages on three-phase stations",
    "phaseLineToLineVoltageMeterValues": "include the line-to-line voltages on three-phase "
    "stations",
    "customValueLimitationMeterValues": "keep fluctuated custom values within the limits",
    "commandsSupport": "which OCPP commands the station supports; empty: all implemented",
    "commandsSupport.incomingCommands": "command -> supported; a disabled one answers NotSupported",
    "commandsSupport.outgoingCommands": "command -> supported; a disabled one is never sent",
    "firmwareUpgrade": "how an UpdateFirmware goes",
    "firmwareUpgrade.versionUpgrade": "the TS simulator's rule for the version an UpdateFirmware "
    "installs, whatever its location: the current version raised (set: this rule; absent: "
    "evsim's, the location's last path segment without an image suffix)",
    "firmwareUpgrade.versionUpgrade.patternGroup": "how many capture groups of "
    "firmwareVersionPattern (default: semver) are kept, the last one raised; absent: as many "
    "as the version has dot-separated parts (`1.2.3`, 2 -> `1.3`)",
    "firmwareUpgrade.versionUpgrade.step": "added to that group (`1.2.3` -> `1.2.4`)",
    "firmwareUpgrade.failureStatus": "inject a failure: `DownloadFailed` or `InstallationFailed`",
    "firmwareUpgrade.reset": "reboot after Installed",
    "firmwareUpgrade.downloadSeconds": "evsim: seconds a simulated download takes",
    "firmwareUpgrade.installSeconds": "evsim: seconds the installation takes",
    "Configuration": "the station's OCPP configuration",
    "Configuration.configurationKey": "OCPP configuration keys, over evsim's defaults",
    "Configuration.configurationKey[].key": "key name (matched without regard to case)",
    "Configuration.configurationKey[].readonly": "ChangeConfiguration refuses it",
    "Configuration.configurationKey[].value": "value (numbers and booleans read as OCPP strings)",
    "Configuration.configurationKey[].visible": "listed by GetConfiguration",
    "Configuration.configurationKey[].reboot": "a change answers RebootRequired",
    "AutomaticTransactionGenerator": "the automatic transaction generator (ATG): one loop "
    "per connector, every draw from the station's seeded generator",
    "AutomaticTransactionGenerator.enable": "start the ATG on each accepted boot",
    "AutomaticTransactionGenerator.minDuration": "shortest session (s)",
    "AutomaticTransactionGenerator.maxDuration": "longest session (s)",
    "AutomaticTransactionGenerator.minDelayBetweenTwoTransactions": "shortest pause (s)",
    "AutomaticTransactionGenerator.maxDelayBetweenTwoTransactions": "longest pause (s)",
    "AutomaticTransactionGenerator.probabilityOfStart": "chance that a pause ends in a session",
    "AutomaticTransactionGenerator.stopAfterHours": "hours after which the ATG stops",
    "AutomaticTransactionGenerator.stopOnConnectionFailure": "a lost connection stops the "
    "ATG until the next boot",
    "AutomaticTransactionGenerator.requireAuthorize": "authorize the idTag before starting",
    "AutomaticTransactionGenerator.idTagDistribution": "idTag choice: `random`, "
    "`round-robin`, `connector-affinity`",
    "Connectors": "connector id -> its definition (`0` is the station itself)",
    "Connectors.<id>.maximumPower": "the connector's own power limit in W (whatever "
    "powerUnit): it caps the connector's share of the station power, its meter and its "
    "composite schedule; connector 0's composite is at most the sum when every connector "
    "has one",
    "Connectors.<id>.bootStatus": "status reported at boot",
    "Connectors.<id>.MeterValues": "sampled values the connector can send",
    "Connectors.<id>.MeterValues[].unit": "unit (kilo units scale the value)",
    "Connectors.<id>.MeterValues[].measurand": "measurand (none: Energy.Active.Import.Register)",
    "Connectors.<id>.MeterValues[].phase": "marks the entry as one phase's: the measurand's "
    "entry without phase, when there is one, gives its unit and value",
    "Connectors.<id>.MeterValues[].context": "reading context",
    "Connectors.<id>.MeterValues[].location": "location sent with every sampled value of the "
    "measurand",
    "Connectors.<id>.MeterValues[].format": "value format",
    "Connectors.<id>.MeterValues[].value": "value around which the sample fluctuates (a "
    "number or a numeric string)",
    "Connectors.<id>.MeterValues[].fluctuationPercent": "fluctuation around value, in %",
    "Connectors.<id>.MeterValues[].minimumValue": "lowest value sent",
}

# Defaults the model computes from other keys.
DEFAULT_NOTES: dict[str, str] = {
    "voltageOut": "AC: 230, DC: 400",
    "numberOfPhases": "AC: 3, DC: 0",
}

# Key -> tests (node ids) that fail when its behaviour is removed.
TESTS: dict[str, tuple[str, ...]] = {
    "supervisionUrls": (
        f"{T}test_config.py::test_a_single_supervision_url_becomes_a_list",
        f"{T}test_templates.py::test_template_urls_and_credentials_win_over_the_config",
        f"{T}test_cli.py::"
        "test_a_busy_port_for_the_bundled_csms_stops_start_up_naming_the_key_and_the_port",
    ),
    "supervisionUrlDistribution": (
        f"{T}test_templates.py::test_round_robin_cycles_over_the_urls",
        f"{T}test_templates.py::test_affinity_depends_on_the_station_id_only",
        f"{T}test_templates.py::test_random_is_seeded_by_the_run_seed",
    ),
    "logStatisticsInterval": (
        f"{T}test_reload.py::test_a_storage_enabled_in_config_json_receives_the_records",
    ),
    "logConsole": (
        f"{T}test_logs.py::test_log_console_writes_records_to_stderr",
        f"{T}test_logs.py::test_without_log_console_nothing_is_written_to_stderr",
    ),
    "logFormat": (
        f"{T}test_logs.py::test_simple_format_writes_one_text_line_per_record",
        f"{T}test_logs.py::test_json_format_writes_one_json_object_per_line",
        f"{T}test_logs.py::test_a_winston_format_warns_and_logs_simple_lines",
    ),
    "logRotate": (
        f"{T}test_logs.py::test_log_rotate_starts_a_new_file_on_a_new_day",
        f"{T}test_logs.py::test_without_log_rotate_a_new_day_keeps_the_file",
        f"{T}test_logs.py::test_a_file_left_from_an_earlier_day_is_rotated_at_start",
        f"{T}test_logs.py::test_a_file_of_today_is_continued_at_start",
        f"{T}test_logs.py::test_a_worker_writes_on_in_the_file_the_supervisor_rotated_in",
    ),
    "logMaxFiles": (f"{T}test_logs.py::test_log_max_files_keeps_that_many_rotated_files",),
    "logLevel": (
        f"{T}test_logs.py::test_log_level_drops_records_below_it",
        f"{T}test_config.py::test_winston_and_loguru_log_levels_map_to_loguru",
        f"{T}test_reload.py::test_a_lower_log_level_in_config_json_reaches_the_workers",
    ),
    "logFile": (f"{T}test_logs.py::test_log_file_is_relative_to_the_config_directory",),
    "logErrorFile": (
        f"{T}test_logs.py::test_log_error_file_receives_only_errors",
        f"{T}test_logs.py::test_empty_log_file_names_write_no_file",
        f"{T}test_logs.py::test_an_error_logged_in_a_worker_process_reaches_the_error_file",
    ),
    "worker": (f"{T}test_reload.py::test_a_changed_worker_section_restarts_the_workers",),
    "worker.processType": (
        f"{T}test_fleet.py::test_fifty_stations_boot_under_each_worker_model",
        f"{T}test_pool.py::test_make_pool_builds_the_configured_kind",
    ),
    "worker.startDelay": (
        f"{T}test_pool.py::test_worker_set_waits_its_start_delay_between_worker_starts",
    ),
    "worker.elementStartDelay": (
        f"{T}test_pool.py::test_element_start_delay_spaces_adds_within_each_worker",
    ),
    "worker.elementsPerWorker": (
        f"{T}test_config.py::test_elements_per_worker_is_a_count_or_auto_or_all",
        f"{T}test_worker_count.py::test_auto_is_one_worker_per_core",
        f"{T}test_worker_count.py::test_auto_opens_more_workers_past_the_open_file_limit",
        f"{T}test_worker_count.py::test_auto_starts_a_worker_per_core_and_adds_stations_to_them",
        f"{T}test_worker_count.py::"
        "test_an_explicit_value_past_four_workers_per_core_warns_with_the_key_and_the_count",
        f"{T}test_worker_count.py::test_a_config_without_a_worker_section_runs_on_a_worker_per_core",
        f"{T}test_pool.py::test_worker_set_opens_a_worker_each_time_the_others_are_full",
    ),
    "worker.poolMinSize": (
        f"{T}test_placement.py::test_idle_workers_are_stopped_newest_first_down_to_min_size",
    ),
    "worker.poolMaxSize": (
        f"{T}test_pool.py::test_dynamic_pool_grows_when_full_and_shrinks_when_idle",
        f"{T}test_config.py::test_static_pool_ignores_the_minimum_size",
    ),
    "worker.poolStrategy": (
        f"{T}test_placement.py::test_every_poolifier_strategy_name_is_accepted",
        f"{T}test_pool.py::test_static_pool_least_used_refills_the_emptiest_worker",
    ),
    "uiServer": (
        f"{T}test_cli.py::test_run_boots_the_fleet_answers_the_ui_and_stops_cleanly_on_sigterm",
    ),
    "uiServer.type": (
        f"{T}test_ui_server.py::test_http_type_serves_procedures_but_refuses_websocket",
    ),
    "uiServer.options.port": (
        f"{T}test_cli.py::test_run_boots_the_fleet_answers_the_ui_and_stops_cleanly_on_sigterm",
        f"{T}test_cli.py::test_a_busy_ui_server_port_stops_start_up_naming_the_key_and_the_port",
    ),
    "uiServer.authentication.type": (
        f"{T}test_ui_server.py::test_basic_auth_accepts_the_configured_credentials",
        f"{T}test_ui_server.py::test_protocol_basic_auth_reads_the_credentials_subprotocol",
    ),
    "uiServer.authentication.enabled": (
        f"{T}test_ui_server.py::test_basic_auth_refuses_http_without_credentials_and_asks_for_them",
    ),
    "uiServer.authentication.username": (
        f"{T}test_ui_server.py::test_basic_auth_refuses_a_websocket_without_the_right_credentials_with_401",
    ),
    "uiServer.authentication.password": (
        f"{T}test_ui_server.py::test_basic_auth_refuses_a_websocket_without_the_right_credentials_with_401",
    ),
    "performanceStorage.enabled": (
        f"{T}test_reload.py::test_a_storage_enabled_in_config_json_receives_the_records",
        f"{T}test_storage.py::test_a_disabled_storage_is_none",
    ),
    "performanceStorage.type": (
        f"{T}test_storage.py::test_jsonfile_writes_an_array_of_documented_records",
        f"{T}test_storage.py::test_sqlite_keeps_records_in_a_performance_records_table",
        f"{T}test_storage.py::test_mongodb_upserts_into_performance_records_by_id",
        f"{T}test_storage.py::test_none_keeps_nothing",
    ),
    "performanceStorage.uri": (
        f"{T}test_config.py::test_performance_storage_accepts_the_readmes_uri_spelling",
        f"{T}test_storage.py::test_a_file_uri_names_an_absolute_path",
        f"{T}test_storage.py::test_sqlite_uris_read_as_sqlalchemy_reads_them",
    ),
    "stationTemplateUrls": (
        f"{T}test_templates.py::test_the_default_configuration_plans_three_ac_and_two_dc_stations",
    ),
    "stationTemplateUrls[].file": (
        f"{T}test_config.py::test_a_template_next_to_the_config_is_found_first",
        f"{T}test_config.py::test_a_template_in_station_templates_is_found",
        f"{T}test_config.py::test_a_missing_template_names_the_key_and_the_paths_tried",
    ),
    "stationTemplateUrls[].numberOfStations": (
        f"{T}test_reload.py::test_a_higher_station_count_in_config_json_adds_stations",
        f"{T}test_templates.py::test_a_template_listed_twice_continues_its_numbering",
    ),
    "seed": (
        f"{T}test_templates.py::test_the_run_seed_changes_serials_but_not_hash_ids",
        f"{T}test_atg.py::test_the_same_seed_replays_the_same_sessions",
    ),
    "stateDir": (
        f"{T}test_storage.py::test_jsonfile_defaults_to_the_state_directory",
        f"{T}test_storage.py::test_a_relative_path_is_under_the_state_directory",
    ),
    "shardIndex": (
        f"{T}test_shards.py::test_shards_are_disjoint_and_their_union_is_the_unsharded_fleet",
        f"{T}test_shards.py::test_a_shard_index_outside_the_shard_count_is_a_config_error",
    ),
    "shardCount": (
        f"{T}test_shards.py::test_shard_blocks_partition_the_stations_contiguously",
        f"{T}test_shards.py::test_three_shards_boot_the_fleet_once_and_a_restarted_shard_gets_its_ids_back",
    ),
    "stateWriteAhead": (
        f"{T}test_persistence.py::test_without_write_ahead_nothing_waits_for_the_disk",
        f"{T}test_persistence.py::test_state_write_ahead_reaches_each_worker_host",
        f"{T}test_transaction_queue.py::test_each_message_is_on_disk_before_it_is_sent",
    ),
    "connectionRatePerWorker": (
        f"{T}test_connect_rate.py::test_callers_beyond_the_burst_are_spaced_one_over_rate_apart",
        f"{T}test_connect_rate.py::test_a_rate_of_zero_never_makes_anyone_wait",
    ),
    # station template
    "ocppPersistentConfiguration": (
        f"{T}test_persistence.py::test_a_changed_configuration_key_survives_a_restart",
        f"{T}test_persistence.py::test_without_ocpp_persistent_configuration_the_template_values_come_back",
    ),
    "stationInfoPersistentConfiguration": (
        f"{T}test_persistence.py::test_an_installed_firmware_version_survives",
        f"{T}test_persistence.py::test_serial_numbers_stay_when_the_template_or_the_seed_changes",
    ),
    "transactionQueueMaxLength": (
        f"{T}test_persistence.py::test_an_offline_queue_past_transaction_queue_max_length_drops_meter_values",
        f"{T}test_transaction_queue.py::test_a_full_queue_drops_the_oldest_meter_values_and_counts_them",
    ),
    "wsOptions": (
        f"{T}test_ws_options.py::test_handshake_timeout_bounds_the_opening_handshake",
        f"{T}test_ws_options.py::test_max_payload_closes_on_a_larger_frame",
        f"{T}test_ws_options.py::test_headers_are_sent_with_the_upgrade_request",
        f"{T}test_ws_options.py::test_wss_trusts_the_ca_given_as_a_path_relative_to_the_config",
        f"{T}test_ws_options.py::test_the_client_certificate_is_presented_for_mutual_tls",
        f"{T}test_ws_options.py::test_reject_unauthorized_false_accepts_an_untrusted_csms",
    ),
    "resetFailedAttempts": (
        f"{T}test_ocpp16_core.py::test_a_reset_failing_more_often_than_reset_retries_allow_is_reported_as_reset_failure",
    ),
    "iccid": (
        f"{T}test_boot_notification.py::test_boot_notification_carries_the_templates_meter_type_iccid_and_imsi",
        f"{T}test_boot_notification.py::test_an_identity_field_longer_than_boot_notification_allows_is_a_template_error",
    ),
    "imsi": (
        f"{T}test_boot_notification.py::test_boot_notification_carries_the_templates_meter_type_iccid_and_imsi",
        f"{T}test_boot_notification.py::test_an_identity_field_longer_than_boot_notification_allows_is_a_template_error",
    ),
    "meterType": (
        f"{T}test_boot_notification.py::test_boot_notification_carries_the_templates_meter_type_iccid_and_imsi",
        f"{T}test_boot_notification.py::test_boot_notification_leaves_out_the_identity_fields_a_template_does_not_set",
        f"{T}test_templates.py::test_hash_id_is_the_typescript_simulators",
    ),
    "chargeBoxSerialNumberPrefix": (
        f"{T}test_boot_notification.py::test_boot_notification_serial_numbers_start_with_their_template_prefixes",
        f"{T}test_templates.py::test_hash_id_depends_on_identity_not_on_other_keys",
    ),
    "meterSerialNumberPrefix": (
        f"{T}test_boot_notification.py::test_boot_notification_serial_numbers_start_with_their_template_prefixes",
    ),
    "ocppProtocol": (
        f"{T}test_key_behaviours.py::test_a_template_asking_for_ocpp_soap_is_refused_at_load",
    ),
    "enableStatistics": (
        f"{T}test_key_behaviours.py::test_without_enable_statistics_a_station_records_none_of_its_calls",
    ),
    "beginEndMeterValues": (
        f"{T}test_key_behaviours.py::test_without_begin_end_meter_values_a_transaction_has_no_begin_or_end_sample",
        f"{T}test_transactions.py::test_stop_sends_the_meter_of_the_last_sample",
    ),
    "firmwareUpgrade.downloadSeconds": (
        f"{T}test_key_behaviours.py::test_a_firmware_download_and_installation_last_the_templates_seconds",
    ),
    "firmwareUpgrade.installSeconds": (
        f"{T}test_key_behaviours.py::test_a_firmware_download_and_installation_last_the_templates_seconds",
    ),
    "Connectors.<id>.MeterValues[].phase": (
        f"{T}test_key_behaviours.py::test_the_entry_without_phase_describes_the_measurand",
    ),
    "Connectors.<id>.MeterValues[].location": (
        f"{T}test_key_behaviours.py::test_a_location_is_carried_by_every_sampled_value_of_its_measurand",
    ),
    "uiServer.enabled": (
        f"{T}test_key_behaviours.py::test_with_the_ui_server_disabled_evsim_run_listens_on_no_ui_port",
        f"{T}test_cli.py::test_run_boots_the_fleet_answers_the_ui_and_stops_cleanly_on_sigterm",
    ),
    "uiServer.options": (
        f"{T}test_key_behaviours.py::test_the_ui_server_listens_on_the_configured_host_only",
        f"{T}test_cli.py::test_run_boots_the_fleet_answers_the_ui_and_stops_cleanly_on_sigterm",
    ),
    "uiServer.options.host": (
        f"{T}test_key_behaviours.py::test_the_ui_server_listens_on_the_configured_host_only",
        f"{T}test_ui_access_server.py::test_run_refuses_an_unauthenticated_ui_server_on_every_interface_with_exit_2",
        f"{T}test_ui_access.py::test_a_non_loopback_address_without_authentication_is_refused_at_start",
    ),
    "uiServer.options.cert": (
        f"{T}test_ui_access_server.py::test_with_cert_and_key_the_ui_server_speaks_https_and_wss",
        f"{T}test_ui_access_server.py::test_a_cert_that_cannot_be_loaded_stops_the_start_naming_the_key",
    ),
    "uiServer.options.key": (
        f"{T}test_ui_access_server.py::test_with_cert_and_key_the_ui_server_speaks_https_and_wss",
    ),
    "uiServer.accessPolicy": (
        f"{T}test_ui_access_server.py::test_a_websocket_from_another_origin_is_refused_with_403_and_logged",
        f"{T}test_ui_access_server.py::test_a_cross_origin_text_plain_post_is_refused_with_403_and_runs_nothing",
        f"{T}test_ui_access.py::test_loopback_authentication_or_an_explicit_policy_let_the_server_start",
    ),
    "uiServer.accessPolicy.allowedOrigins": (
        f"{T}test_ui_access_server.py::test_allowed_origins_let_a_listed_foreign_origin_in",
        f"{T}test_ui_access.py::test_an_origin_on_an_accepted_host_name_is_let_in",
        f"{T}test_ui_access.py::test_another_origin_is_refused",
    ),
    "uiServer.accessPolicy.allowedHosts": (
        f"{T}test_ui_access_server.py::test_allowed_hosts_let_a_request_under_another_name_in",
        f"{T}test_ui_access_server.py::test_a_request_naming_another_host_is_refused_with_403",
        f"{T}test_ui_access.py::test_a_server_bound_to_every_interface_accepts_loopback_names_and_allowed_hosts_only",
    ),
    "uiServer.accessPolicy.requireTlsForNonLoopback": (
        f"{T}test_ui_access.py::test_plain_http_from_another_machine_is_refused_by_default",
        f"{T}test_ui_access.py::test_plain_http_from_another_machine_is_let_in_when_tls_is_not_required",
        f"{T}test_ui_access_server.py::test_a_trusted_proxy_is_believed_for_the_host_and_the_https_of_its_client",
    ),
    "uiServer.accessPolicy.trustedProxies": (
        f"{T}test_ui_access_server.py::test_forwarding_headers_from_an_untrusted_peer_are_refused_with_403",
        f"{T}test_ui_access_server.py::test_a_trusted_proxy_is_believed_for_the_host_and_the_https_of_its_client",
        f"{T}test_ui_access.py::test_the_rfc_7239_forwarded_header_of_a_trusted_proxy_is_read",
    ),
    "uiServer.authentication": (
        f"{T}test_ui_server.py::test_basic_auth_refuses_http_without_credentials_and_asks_for_them",
        f"{T}test_ui_server.py::test_protocol_basic_auth_reads_the_credentials_subprotocol",
    ),
    "performanceStorage": (
        f"{T}test_reload.py::test_a_storage_enabled_in_config_json_receives_the_records",
    ),
    "Connectors.<id>.MeterValues[].context": (
        f"{T}test_templates.py::test_a_key_without_behaviour_warns_once_when_set",
    ),
    "Connectors.<id>.MeterValues[].format": (
        f"{T}test_templates.py::test_a_key_without_behaviour_warns_once_when_set",
    ),
    "Connectors.<id>.MeterValues[].minimumValue": (
        f"{T}test_templates.py::test_a_key_without_behaviour_warns_once_when_set",
    ),
    "AutomaticTransactionGenerator.minDelayBetweenTwoTransactions": (
        f"{T}test_atg.py::test_sessions_last_between_min_and_max_duration",
    ),
    "AutomaticTransactionGenerator.maxDelayBetweenTwoTransactions": (
        f"{T}test_atg.py::test_sessions_last_between_min_and_max_duration",
    ),
    "AutomaticTransactionGenerator": (
        f"{T}test_atg_fleet.py::test_twenty_generators_close_every_transaction_with_consistent_energy",
    ),
    "Configuration": (f"{T}test_configuration.py::test_template_keys_override_the_defaults",),
    "commandsSupport": (
        f"{T}test_station.py::test_known_action_without_handler_gets_not_supported",
    ),
    "firmwareUpgrade": (f"{T}test_ocpp16_firmware.py::test_template_injected_download_failure",),
    "nameSuffix": (
        f"{T}test_template_keys.py::test_planned_station_ids_end_with_the_name_suffix",
        f"{T}test_templates.py::test_station_id_follows_the_typescript_rule",
    ),
    "supervisionUrlOcppConfiguration": (
        f"{T}test_template_keys.py::test_without_supervision_url_ocpp_configuration_there_is_no_url_key",
        f"{T}test_template_keys.py::test_the_ocpp_key_decides_the_url_of_the_next_connection",
    ),
    "supervisionUrlOcppKey": (
        f"{T}test_template_keys.py::test_supervision_url_ocpp_key_names_the_key",
    ),
    "autoRegister": (
        f"{T}test_template_keys.py::test_auto_register_goes_on_as_accepted_after_a_rejected_boot",
    ),
    "ocppStrictCompliance": (
        f"{T}test_template_keys.py::test_strict_compliance_sends_the_end_meter_values_before_the_stop",
        f"{T}test_template_keys.py::test_strict_compliance_refuses_remote_start_while_pending",
    ),
    "payloadSchemaValidation": (
        f"{T}test_template_keys.py::test_strict_compliance_validates_payloads_even_without_schema_validation",
    ),
    "autoReconnectMaxRetries": (
        f"{T}test_backoff.py::test_a_station_retrying_forever_keeps_a_capped_delay",
    ),
    "supervisionUser": (
        f"{T}test_templates.py::test_template_urls_and_credentials_win_over_the_config",
    ),
    "supervisionPassword": (
        f"{T}test_templates.py::test_template_urls_and_credentials_win_over_the_config",
    ),
    "ocppVersion": (
        f"{T}test_templates.py::test_the_ocpp_version_may_be_a_number",
        f"{T}test_templates.py::test_a_template_asking_for_ocpp_201_is_refused_at_load",
        f"{T}test_cli.py::test_an_ocpp_201_template_stops_run_with_one_line_and_exit_code_2",
    ),
    "authorizationFile": (
        f"{T}test_reload.py::test_an_edited_id_tag_file_changes_the_tags_the_stations_charge_with",
        f"{T}test_templates.py::test_a_typescript_style_template_loads_and_warns_once_per_unknown_key",
    ),
    "baseName": (f"{T}test_templates.py::test_station_id_follows_the_typescript_rule",),
    "fixedName": (
        f"{T}test_templates.py::test_a_fixed_name_names_a_single_station",
        f"{T}test_template_keys.py::test_a_fixed_name_ignores_the_name_suffix",
    ),
    "chargePointModel": (f"{T}test_templates.py::test_hash_id_is_the_typescript_simulators",),
    "chargePointVendor": (
        f"{T}test_templates.py::test_hash_id_is_the_typescript_simulators",
        f"{T}test_ocpp16_core.py::test_data_transfer_for_the_station_vendor_is_accepted",
    ),
    "chargePointSerialNumberPrefix": (
        f"{T}test_templates.py::test_a_serial_number_needs_a_prefix_and_fits_ocpp",
        f"{T}test_templates.py::test_the_run_seed_changes_serials_but_not_hash_ids",
    ),
    "firmwareVersionPattern": (
        f"{T}test_firmware_version_pattern.py::test_a_version_not_matching_the_pattern_fails_the_installation",
        f"{T}test_firmware_version_pattern.py::test_a_version_matching_the_pattern_is_installed",
        f"{T}test_firmware_version_pattern.py::test_a_firmware_version_pattern_that_is_no_regular_expression_is_a_template_error",
    ),
    "firmwareUpgrade.versionUpgrade": (
        f"{T}test_firmware_version_pattern.py::test_version_upgrade_raises_the_current_version_whatever_the_location",
        f"{T}test_firmware_version_pattern.py::test_version_upgrade_of_a_version_the_pattern_does_not_match_fails",
    ),
    "firmwareUpgrade.versionUpgrade.patternGroup": (
        f"{T}test_firmware_version_pattern.py::test_version_upgrade_pattern_group_chooses_the_part_raised",
    ),
    "firmwareUpgrade.versionUpgrade.step": (
        f"{T}test_firmware_version_pattern.py::test_version_upgrade_raises_the_patch_level_by_default",
    ),
    "postTransactionDelay": (
        f"{T}test_post_transaction_delay.py::test_a_stopped_connector_stays_finishing_for_the_delay_then_is_available",
        f"{T}test_post_transaction_delay.py::test_without_a_delay_a_stopped_connector_is_available_at_once",
        f"{T}test_post_transaction_delay.py::test_a_new_user_may_start_during_the_delay_and_keeps_the_connector",
        f"{T}test_post_transaction_delay.py::test_a_station_stopped_during_the_delay_does_not_keep_the_connector_finishing",
        f"{T}test_post_transaction_delay.py::test_the_atg_waits_for_the_delay_before_its_next_session",
    ),
    "Connectors.<id>.maximumPower": (
        f"{T}test_connector_maximum_power.py::test_the_meter_draws_no_more_than_the_connector_maximum",
        f"{T}test_connector_maximum_power.py::test_a_connector_maximum_caps_its_share_of_the_station_power",
        f"{T}test_connector_maximum_power.py::test_the_composite_schedule_of_a_connector_is_its_maximum",
        f"{T}test_connector_maximum_power.py::test_the_station_composite_schedule_is_at_most_the_connector_maxima",
    ),
    "persistState": (
        f"{T}test_persist_state.py::test_persist_state_false_writes_no_state_file",
        f"{T}test_persist_state.py::test_persist_state_true_by_default_writes_the_station_state",
    ),
    "stationTemplateUrls[].provisionedNumberOfStations": (
        f"{T}test_provisioned_stations.py::test_provisioned_stations_wait_until_add_charging_stations_starts_them",
        f"{T}test_provisioned_stations.py::test_a_file_listed_again_is_numbered_after_the_provisioned_stations",
        f"{T}test_provisioned_stations.py::test_a_provisioned_station_is_the_same_station_on_every_run",
    ),
    "firmwareVersion": (
        f"{T}test_ocpp16_firmware.py::test_update_firmware_downloads_installs_and_reboots_with_the_new_version",
    ),
    "power": (
        f"{T}test_meter_values.py::test_power_never_exceeds_the_active_limit",
        f"{T}test_meter_values.py::test_a_fixed_power_charges_its_energy_in_an_hour",
    ),
    "powerSharedByConnectors": (
        f"{T}test_meter_values.py::test_shared_power_is_divided_by_the_connectors_charging",
        f"{T}test_transactions.py::test_shared_power_halves_when_a_second_connector_charges",
    ),
    "powerUnit": (f"{T}test_meter_values.py::test_units_in_kilo_scale_the_values",),
    "currentOutType": (
        f"{T}test_meter_values.py::test_single_phase_and_dc_values_have_no_phases",
        f"{T}test_templates.py::test_dc_stations_default_to_400_volts_and_no_phases",
    ),
    "voltageOut": (
        f"{T}test_meter_values.py::test_power_is_voltage_times_current_times_phases",
        f"{T}test_templates.py::test_dc_stations_default_to_400_volts_and_no_phases",
    ),
    "numberOfPhases": (
        f"{T}test_meter_values.py::test_three_phase_values_carry_every_phase",
        f"{T}test_meter_values.py::test_single_phase_and_dc_values_have_no_phases",
    ),
    "numberOfConnectors": (
        f"{T}test_templates.py::test_fewer_connectors_than_defined_take_the_first_ids",
        f"{T}test_templates.py::test_a_list_of_connector_counts_is_drawn_per_station",
    ),
    "useConnectorId0": (
        f"{T}test_templates.py::test_connector_0_is_kept_only_when_wanted_and_defined",
        f"{T}test_template_keys.py::test_planned_stations_without_connector_id0_have_no_connector_0",
    ),
    "randomConnectors": (
        f"{T}test_templates.py::test_random_connectors_shuffle_the_templates_deterministically",
        f"{T}test_template_keys.py::test_random_connectors_give_the_stations_of_a_plan_different_layouts",
    ),
    "resetTime": (
        f"{T}test_ocpp16_core.py::test_reset_stops_transactions_and_boots_again_after_reset_time",
    ),
    "resetCloseDelay": (
        f"{T}test_reset_answer.py::test_every_reset_conf_reaches_the_csms_before_the_station_goes_down",
        f"{T}test_reset_answer.py::test_the_station_stays_connected_reset_close_delay_after_its_reset_conf",
    ),
    "reconnectExponentialDelay": (
        f"{T}test_backoff.py::test_exponential_delays_grow_with_the_attempts_until_the_cap",
        f"{T}test_backoff.py::test_a_fixed_delay_is_connection_timeout_within_20_percent",
    ),
    "registrationMaxRetries": (
        f"{T}test_station.py::test_rejected_station_stops_after_registration_max_retries",
    ),
    "amperageLimitationOcppKey": (
        f"{T}test_transactions.py::test_the_amperage_limit_key_caps_the_power",
    ),
    "amperageLimitationUnit": (
        f"{T}test_meter_values.py::test_the_amperage_limit_is_per_phase_on_ac_and_global_on_dc",
    ),
    "mustAuthorizeAtRemoteStart": (
        f"{T}test_ocpp16_core.py::test_remote_start_skips_authorize_when_the_template_does_not_require_it",
    ),
    "outOfOrderEndMeterValues": (
        f"{T}test_transactions.py::test_out_of_order_end_meter_values_follow_the_stop",
    ),
    "meteringPerTransaction": (
        f"{T}test_meter_values.py::test_the_energy_register_is_per_transaction_with_metering_per_transaction",
        f"{T}test_transactions.py::test_the_register_never_goes_back_across_transactions",
    ),
    "transactionDataMeterValues": (
        f"{T}test_transactions.py::test_transaction_data_carries_the_stop_txn_samples",
    ),
    "mainVoltageMeterValues": (
        f"{T}test_meter_values.py::test_main_and_line_to_line_voltages_follow_their_keys",
    ),
    "phaseLineToLineVoltageMeterValues": (
        f"{T}test_meter_values.py::test_main_and_line_to_line_voltages_follow_their_keys",
    ),
    "customValueLimitationMeterValues": (
        f"{T}test_meter_values.py::test_custom_values_exceed_the_limit_only_when_limitation_is_off",
    ),
    "commandsSupport.incomingCommands": (
        f"{T}test_station.py::test_known_action_without_handler_gets_not_supported",
    ),
    "commandsSupport.outgoingCommands": (
        f"{T}test_ocpp16_core.py::test_a_disabled_outgoing_command_is_not_sent",
        f"{T}test_ocpp16_remote_trigger.py::test_a_disabled_triggered_message_is_not_sent",
    ),
    "firmwareUpgrade.failureStatus": (
        f"{T}test_ocpp16_firmware.py::test_template_injected_download_failure",
        f"{T}test_ocpp16_firmware.py::test_template_injected_installation_failure_keeps_the_old_firmware",
    ),
    "firmwareUpgrade.reset": (
        f"{T}test_ocpp16_firmware.py::test_update_firmware_downloads_installs_and_reboots_with_the_new_version",
    ),
    "Configuration.configurationKey": (
        f"{T}test_configuration.py::test_template_keys_override_the_defaults",
    ),
    "Configuration.configurationKey[].key": (
        f"{T}test_configuration.py::test_a_template_key_spelled_in_another_case_overrides_the_default",
    ),
    "Configuration.configurationKey[].readonly": (
        f"{T}test_configuration.py::test_changing_a_readonly_key_is_rejected",
    ),
    "Configuration.configurationKey[].value": (
        f"{T}test_configuration.py::test_template_values_written_as_json_numbers_and_booleans_are_strings",
    ),
    "Configuration.configurationKey[].visible": (
        f"{T}test_configuration.py::test_get_configuration_hides_invisible_keys",
    ),
    "Configuration.configurationKey[].reboot": (
        f"{T}test_configuration.py::test_changing_a_reboot_key_requires_a_reboot",
    ),
    "AutomaticTransactionGenerator.enable": (
        f"{T}test_atg_fleet.py::test_twenty_generators_close_every_transaction_with_consistent_energy",
    ),
    "AutomaticTransactionGenerator.minDuration": (
        f"{T}test_atg.py::test_sessions_last_between_min_and_max_duration",
    ),
    "AutomaticTransactionGenerator.maxDuration": (
        f"{T}test_atg.py::test_sessions_last_between_min_and_max_duration",
    ),
    "AutomaticTransactionGenerator.probabilityOfStart": (
        f"{T}test_atg.py::test_probability_of_start_zero_skips_every_transaction",
    ),
    "AutomaticTransactionGenerator.stopAfterHours": (
        f"{T}test_atg.py::test_the_generator_ends_after_stop_after_hours",
    ),
    "AutomaticTransactionGenerator.stopOnConnectionFailure": (
        f"{T}test_atg_fleet.py::test_a_lost_connection_stops_the_generator_until_the_next_boot",
    ),
    "AutomaticTransactionGenerator.requireAuthorize": (
        f"{T}test_atg.py::test_every_start_is_authorized_first",
    ),
    "AutomaticTransactionGenerator.idTagDistribution": (
        f"{T}test_atg.py::test_round_robin_walks_the_tags_whichever_connector_asks",
        f"{T}test_atg.py::test_connector_affinity_gives_each_connector_its_tag",
        f"{T}test_atg.py::test_random_distribution_draws_only_listed_tags",
    ),
    "Connectors": (f"{T}test_templates.py::test_connectors_come_from_the_template_by_id",),
    "Connectors.<id>.bootStatus": (
        f"{T}test_templates.py::test_connectors_come_from_the_template_by_id",
    ),
    "Connectors.<id>.MeterValues": (
        f"{T}test_meter_values.py::test_only_measurands_the_connector_defines_are_sampled",
    ),
    "Connectors.<id>.MeterValues[].unit": (
        f"{T}test_meter_values.py::test_units_in_kilo_scale_the_values",
    ),
    "Connectors.<id>.MeterValues[].measurand": (
        f"{T}test_meter_values.py::test_only_measurands_the_connector_defines_are_sampled",
    ),
    "Connectors.<id>.MeterValues[].value": (
        f"{T}test_meter_values.py::test_units_in_kilo_scale_the_values",
    ),
    "Connectors.<id>.MeterValues[].fluctuationPercent": (
        f"{T}test_meter_values.py::test_custom_values_exceed_the_limit_only_when_limitation_is_off",
    ),
}


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # dotted, as written in the file: worker.poolMaxSize, Connectors.<id>.bootStatus
    type: str
    default: str
    meaning: str
    seed: str  # the TS README's default and type where they differ, else ""
    no_behaviour: str  # why evsim accepts the key without a behaviour, else ""
    tests: tuple[str, ...]


# --- walking the models -------------------------------------------------------------------------


def _members(annotation: Any) -> list[Any]:
    """`annotation` without Annotated, as the members of its union (one for a plain type)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members: list[Any] = []
        for arg in get_args(annotation):
            members.extend(_members(arg))
        return members
    return [annotation]


def _nested(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """(key suffix, model) of a section, a list of sections or a mapping of sections."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return "", member
        origin = get_origin(member)
        args = get_args(member)
        item = args[0] if origin is list and args else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "[]", item
        value = args[1] if origin is dict and len(args) == 2 else None
        if isinstance(value, type) and issubclass(value, BaseModel):
            return ".<id>", value
    return None


def model_fields(
    model: type[BaseModel], prefix: str = ""
) -> Iterator[tuple[str, type[BaseModel], str, FieldInfo]]:
    """(dotted key, model, field name, field) of every field of `model` and its sections."""
    for name, info in model.model_fields.items():
        key = prefix + display_key(model, name)
        yield key, model, name, info
        nested = _nested(info.annotation)
        if nested is not None:
            suffix, section = nested
            yield from model_fields(section, f"{key}{suffix}.")


def type_name(annotation: Any) -> str:
    names: list[str] = []
    for member in _members(annotation):
        origin = get_origin(member)
        args = get_args(member)
        if member is type(None):
            names.append("null")
        elif origin is Literal:
            names.extend(json.dumps(arg) for arg in args)
        elif origin is list:
            names.append(f"{type_name(args[0])}[]" if args else "array")
        elif origin is dict:
            names.append(f"{{{type_name(args[0])}: {type_name(args[1])}}}" if args else "object")
        elif isinstance(member, type) and issubclass(member, BaseModel):
            names.append("section")
        elif member is Any:
            names.append("any")
        else:
            names.append(_SCALARS.get(member, getattr(member, "__name__", str(member))))
    return " | ".join(dict.fromkeys(names))


_SCALARS: dict[Any, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    Path: "path",
}


SECTION_DEFAULT = "see below"


def default_text(key: str, info: FieldInfo) -> str:
    if key in DEFAULT_NOTES:
        return DEFAULT_NOTES[key]
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return SECTION_DEFAULT
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)


# --- the TS simulator's defaults -------------------------------------------------------------


def _plain(text: str) -> str:
    text = text.strip().strip("'\"").lower().replace(" ", "").replace("/", ",")
    text = re.sub(r"\s*\(unlimited\)", "", text)
    return {"undefined": "null", "": "null", "{}[]": "[]"}.get(text, text)


def _seed_difference(seed: SeedRow | None, default: str) -> str:
    if seed is None or not seed.default or default == SECTION_DEFAULT:
        return ""
    if _plain(seed.default) == _plain(default):
        return ""
    return f"default {seed.default}; {seed.type}".strip("; ")


# --- the reference ------------------------------------------------------------------------------


def reference_rows(root: type[BaseModel], seed: Mapping[str, SeedRow]) -> list[Row]:
    rows: list[Row] = []
    for key, _model, _name, info in model_fields(root):
        default = default_text(key, info)
        rows.append(
            Row(
                key=key,
                type=type_name(info.annotation),
                default=default,
                meaning=info.description or MEANINGS.get(key, ""),
                seed=_seed_difference(seed.get(key), default),
                tests=TESTS.get(key, ()),
                no_behaviour=no_behaviour_reason(info) or "",
            )
        )
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _renamed_keys() -> list[tuple[str, str, str]]:
    renamed = [("config.json", old, ".".join(new)) for old, new in _RENAMED_KEYS.items()]
    renamed += [
        ("config.json", f"{section}.{old}", ".".join(new))
        for (section, old), new in _NESTED_RENAMED_KEYS.items()
    ]
    renamed += [("template", old, new) for old, new in _RENAMED_TEMPLATE_KEYS.items()]
    renamed.append(("template", "Evses.<evse>.Connectors", "Connectors (EVSE grouping dropped)"))
    return renamed


def render() -> str:
    by_section: dict[str, dict[str, SeedRow]] = {}
    for seed_row in load_seed_rows():
        by_section.setdefault(seed_row.section, {})[seed_row.key] = seed_row
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m simulator.config_reference` from the settings and template",
        "     models; do not edit by hand. tests/test_config_reference.py checks it. -->",
        "",
        "evsim reads the configuration and station templates of the SAP e-mobility charging",
        "stations simulator (TypeScript): same keys, same meaning, same defaults. A station's",
        "persisted configuration (`configurations/<hashId>.json`, keys changed at run time) takes",
        "precedence over its template, which takes precedence over config.json. Settings of",
        "config.json come, in",
        "rising priority, from defaults, the file, environment variables `EVSIM_*` (nested keys",
        "with `__`) and command-line flags.",
        "",
        "Unknown keys (for example from newer versions of the TypeScript simulator) never stop a",
        "start: each is accepted with one warning naming the file and the key. Keys whose meaning",
        "is known are read under their current name with a warning (see the last table).",
        "",
        "Columns: the key as written in the file (`[]`: each item of a list, `<id>`: each entry",
        "of a mapping), its type and default, what it does, the TypeScript simulator README's",
        "default and type where they differ from evsim's, and the tests that show the behaviour",
        "(none yet: `-`).",
    ]
    for title, file, seed_section, root in ROOTS:
        seed = dict(by_section.get(seed_section, {}))
        if root is StationTemplate:
            for section, prefix in (
                ("AutomaticTransactionGenerator", "AutomaticTransactionGenerator."),
                ("Connectors", "Connectors.<id>."),
            ):
                for key, seed_row in by_section.get(section, {}).items():
                    seed[prefix + key] = seed_row
        lines += [
            "",
            f"## {title} (`{file}`)",
            "",
            "| key | type | default | meaning | TS README | tests |",
            "|---|---|---|---|---|---|",
        ]
        for row in reference_rows(root, seed):
            meaning = row.meaning
            if row.no_behaviour:
                meaning += f". **No behaviour in evsim** ({row.no_behaviour}): a warning when set"
            tests = "<br>".join(f"`{test.removeprefix(T)}`" for test in row.tests) or "-"
            lines.append(
                f"| `{row.key}` | {_cell(row.type)} | `{_cell(row.default)}` | "
                f"{_cell(meaning)} | {_cell(row.seed)} | {tests} |"
            )
    lines += [
        "",
        "## Keys read under another name",
        "",
        "| file | key | read as |",
        "|---|---|---|",
    ]
    lines += [f"| {file} | `{old}` | `{new}` |" for file, old, new in _renamed_keys()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/configuration.md (or the path given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else REFERENCE_PATH
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
