<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Upgrade steps.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Upgrade the plugin's table from an older version.
 *
 * @param int $oldversion
 * @return bool
 */
function xmldb_assignsubmission_streamportal_upgrade($oldversion) {
    global $DB;
    $dbman = $DB->get_manager();

    // The first release creates everything through install.xml; later schema changes go here as
    // "if ($oldversion < YYYYMMDDXX) { ...; upgrade_plugin_savepoint(...); }" blocks.
    if ($oldversion < 2026112500) {
        $table = new xmldb_table('assignsubmission_streamportal');
        $index = new xmldb_index('timemodified', XMLDB_INDEX_NOTUNIQUE, ['timemodified']);
        if ($dbman->table_exists($table) && !$dbman->index_exists($table, $index)) {
            $dbman->add_index($table, $index);
        }
        upgrade_plugin_savepoint(true, 2026112500, 'assignsubmission', 'streamportal');
    }
    if ($oldversion < 2026120300) {
        // Videos recorded as ready before record_video set a ready time kept readyat = 0; the time
        // of their last change is the closest Moodle knows.
        $DB->execute("UPDATE {assignsubmission_streamportal} SET readyat = timemodified
                       WHERE status = ? AND readyat = 0", ['ready']);
        upgrade_plugin_savepoint(true, 2026120300, 'assignsubmission', 'streamportal');
    }
    return true;
}
