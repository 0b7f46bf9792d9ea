<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\external;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/externallib.php');

use external_api;
use external_function_parameters;
use external_multiple_structure;
use external_single_structure;
use external_value;
use external_warnings;

/**
 * Video records of assignments, scoped to what the caller may see.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_videos extends external_api {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters() {
        return new external_function_parameters([
            'assignmentids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'Assignment id'), 'At least one assignment id'),
            'userid' => new external_value(PARAM_INT, '0 = all students', VALUE_DEFAULT, 0),
            'since' => new external_value(PARAM_INT, 'Only records modified since', VALUE_DEFAULT, 0),
            'includedeleted' => new external_value(PARAM_BOOL, 'Include deleted/expired', VALUE_DEFAULT, false),
        ]);
    }

    /**
     * List the records.
     *
     * @param int[] $assignmentids
     * @param int $userid
     * @param int $since
     * @param bool $includedeleted
     * @return array
     */
    public static function execute($assignmentids, $userid = 0, $since = 0, $includedeleted = false) {
        global $DB, $USER;
        $params = self::validate_parameters(self::execute_parameters(),
            compact('assignmentids', 'userid', 'since', 'includedeleted'));
        $videos = [];
        $warnings = [];
        foreach (array_unique($params['assignmentids']) as $assignmentid) {
            try {
                list($course, $cm) = get_course_and_cm_from_instance($assignmentid, 'assign');
                $context = \context_module::instance($cm->id);
                self::validate_context($context);
                $seeall = has_capability('assignsubmission/streamportal:viewvideos', $context);
                if (!$seeall && !has_capability('mod/assign:submit', $context)) {
                    throw new \required_capability_exception($context, 'assignsubmission/streamportal:viewvideos',
                        'nopermissions', '');
                }
            } catch (\Exception $e) {
                $warnings[] = ['item' => 'assignment', 'itemid' => $assignmentid, 'warningcode' => '1',
                    'message' => 'No access rights in module context'];
                continue;
            }
            $where = 'v.assignment = :assignment AND v.timemodified >= :since';
            $sqlparams = ['assignment' => $assignmentid, 'since' => $params['since']];
            $owner = $seeall ? $params['userid'] : $USER->id;   // Students see only their own.
            if ($owner) {
                $where .= ' AND v.userid = :userid';
                $sqlparams['userid'] = $owner;
            }
            if (!$params['includedeleted']) {
                $where .= " AND v.status NOT IN ('deleted', 'expired')";
            }
            $sql = "SELECT v.*, s.attemptnumber
                      FROM {assignsubmission_streamportal} v
                 LEFT JOIN {assign_submission} s ON s.id = v.submission
                     WHERE $where
                  ORDER BY v.id";
            foreach ($DB->get_records_sql($sql, $sqlparams) as $v) {
                $videos[] = [
                    'recordid' => (int)$v->id, 'assignmentid' => (int)$v->assignment, 'cmid' => (int)$cm->id,
                    'courseid' => (int)$course->id, 'userid' => (int)$v->userid,
                    'submissionid' => (int)$v->submission, 'attemptnumber' => (int)$v->attemptnumber,
                    'streamuid' => $v->streamuid, 'portalsubmissionid' => $v->portalsubmissionid,
                    'status' => $v->status, 'durationseconds' => (float)$v->durationseconds,
                    'sizebytes' => (int)$v->sizebytes, 'uploadedat' => (int)$v->uploadedat,
                    'readyat' => (int)$v->readyat, 'deleteafter' => (int)$v->deleteafter,
                    'timecreated' => (int)$v->timecreated, 'timemodified' => (int)$v->timemodified,
                ];
            }
        }
        return ['videos' => $videos, 'warnings' => $warnings];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns() {
        return new external_single_structure([
            'videos' => new external_multiple_structure(new external_single_structure([
                'recordid' => new external_value(PARAM_INT, 'Record id'),
                'assignmentid' => new external_value(PARAM_INT, 'Assignment id'),
                'cmid' => new external_value(PARAM_INT, 'Course module id'),
                'courseid' => new external_value(PARAM_INT, 'Course id'),
                'userid' => new external_value(PARAM_INT, 'Student'),
                'submissionid' => new external_value(PARAM_INT, 'assign_submission id'),
                'attemptnumber' => new external_value(PARAM_INT, 'Attempt number'),
                'streamuid' => new external_value(PARAM_ALPHANUM, 'Stream uid'),
                'portalsubmissionid' => new external_value(PARAM_ALPHANUMEXT, 'Portal submission id'),
                'status' => new external_value(PARAM_ALPHA, 'Status'),
                'durationseconds' => new external_value(PARAM_FLOAT, 'Duration, 0 while unknown'),
                'sizebytes' => new external_value(PARAM_INT, 'Size in bytes'),
                'uploadedat' => new external_value(PARAM_INT, 'Upload time'),
                'readyat' => new external_value(PARAM_INT, 'Ready time, 0 when unset'),
                'deleteafter' => new external_value(PARAM_INT, 'Retention date, 0 when unset'),
                'timecreated' => new external_value(PARAM_INT, 'Time created'),
                'timemodified' => new external_value(PARAM_INT, 'Time modified'),
            ])),
            'warnings' => new external_warnings(),
        ]);
    }
}
