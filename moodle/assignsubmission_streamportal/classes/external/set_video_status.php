<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\external;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/externallib.php');

use external_api;
use external_function_parameters;
use external_single_structure;
use external_value;

/**
 * Update the status of a recorded video (processing, ready, error, expired, deleted).
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class set_video_status extends external_api {

    /** Statuses a recorded video can move to. */
    const STATUSES = ['processing', 'ready', 'error', 'expired', 'deleted'];

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters() {
        return new external_function_parameters([
            'streamuid' => new external_value(PARAM_ALPHANUM, 'Video uid'),
            'status' => new external_value(PARAM_ALPHA, 'processing | ready | error | expired | deleted'),
            'durationseconds' => new external_value(PARAM_FLOAT, 'Set when becoming ready', VALUE_DEFAULT, 0),
            'readyat' => new external_value(PARAM_INT, 'Unix time Stream reported ready', VALUE_DEFAULT, 0),
        ]);
    }

    /**
     * Set the status; idempotent.
     *
     * @param string $streamuid
     * @param string $status
     * @param float $durationseconds
     * @param int $readyat
     * @return array
     */
    public static function execute($streamuid, $status, $durationseconds = 0, $readyat = 0) {
        global $DB;
        $params = self::validate_parameters(self::execute_parameters(),
            compact('streamuid', 'status', 'durationseconds', 'readyat'));
        if (!in_array($params['status'], self::STATUSES, true)) {
            throw new \invalid_parameter_exception('status must be one of ' . implode(', ', self::STATUSES));
        }
        $record = $DB->get_record('assignsubmission_streamportal', ['streamuid' => $params['streamuid']]);
        if (!$record) {
            throw new \moodle_exception('uidnotfound', 'assignsubmission_streamportal');
        }
        $cm = get_coursemodule_from_instance('assign', $record->assignment, 0, false, MUST_EXIST);
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('assignsubmission/streamportal:recordvideo', $context);

        $record->status = $params['status'];
        if ($params['durationseconds'] > 0) {
            $record->durationseconds = $params['durationseconds'];
        }
        if ($params['readyat'] > 0) {
            $record->readyat = $params['readyat'];
        }
        $record->timemodified = time();
        $DB->update_record('assignsubmission_streamportal', $record);
        return ['recordid' => (int)$record->id, 'status' => $record->status,
            'timemodified' => (int)$record->timemodified];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns() {
        return new external_single_structure([
            'recordid' => new external_value(PARAM_INT, 'Record id'),
            'status' => new external_value(PARAM_ALPHA, 'Status'),
            'timemodified' => new external_value(PARAM_INT, 'Time modified'),
        ]);
    }
}
