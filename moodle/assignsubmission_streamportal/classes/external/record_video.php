<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\external;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/externallib.php');
require_once($CFG->dirroot . '/mod/assign/locallib.php');

use external_api;
use external_function_parameters;
use external_single_structure;
use external_value;
use external_warnings;

/**
 * Record a Stream video for a student and make it a real "submitted" Moodle submission.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class record_video extends external_api {

    /**
     * Parameters, exactly as the portal's contract declares them.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters() {
        return new external_function_parameters([
            'assignmentid' => new external_value(PARAM_INT, 'Assignment id (instance id)'),
            'userid' => new external_value(PARAM_INT, 'The student (not the caller)'),
            'streamuid' => new external_value(PARAM_ALPHANUM, 'Cloudflare Stream video uid'),
            'portalsubmissionid' => new external_value(PARAM_ALPHANUMEXT, 'The portal submission id'),
            'status' => new external_value(PARAM_ALPHA, 'uploading | processing | ready | error'),
            'durationseconds' => new external_value(PARAM_FLOAT, 'Duration once known', VALUE_DEFAULT, 0),
            'sizebytes' => new external_value(PARAM_INT, 'Upload length in bytes', VALUE_DEFAULT, 0),
            'uploadedat' => new external_value(PARAM_INT, 'Unix time the upload completed'),
            'deleteafter' => new external_value(PARAM_INT, 'Retention deadline, 0 = none', VALUE_DEFAULT, 0),
            'submit' => new external_value(PARAM_BOOL, 'Also submit for grading', VALUE_DEFAULT, true),
        ]);
    }

    /**
     * Store the record (idempotent on uid) and submit the student's latest attempt.
     *
     * @param int $assignmentid
     * @param int $userid
     * @param string $streamuid
     * @param string $portalsubmissionid
     * @param string $status
     * @param float $durationseconds
     * @param int $sizebytes
     * @param int $uploadedat
     * @param int $deleteafter
     * @param bool $submit
     * @return array
     */
    public static function execute($assignmentid, $userid, $streamuid, $portalsubmissionid, $status,
            $durationseconds = 0, $sizebytes = 0, $uploadedat = 0, $deleteafter = 0, $submit = true) {
        global $DB;
        $params = self::validate_parameters(self::execute_parameters(), compact('assignmentid', 'userid',
            'streamuid', 'portalsubmissionid', 'status', 'durationseconds', 'sizebytes', 'uploadedat',
            'deleteafter', 'submit'));

        list($course, $cm) = get_course_and_cm_from_instance($params['assignmentid'], 'assign');
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('assignsubmission/streamportal:recordvideo', $context);
        require_capability('mod/assign:editothersubmission', $context);
        $DB->get_record('user', ['id' => $params['userid'], 'deleted' => 0], 'id', MUST_EXIST);

        $warnings = [];
        $assign = new \assign($context, $cm, $course);
        $now = time();
        $existing = $DB->get_record('assignsubmission_streamportal', ['streamuid' => $params['streamuid']]);
        if ($existing && ($existing->userid != $params['userid'] || $existing->assignment != $params['assignmentid'])) {
            throw new \moodle_exception('uidconflict', 'assignsubmission_streamportal');
        }

        // The latest attempt, created if the student has none (Moodle's own API, as "submit for student").
        $submission = $assign->get_user_submission($params['userid'], true);
        $record = $existing ?: new \stdClass();
        $record->assignment = $params['assignmentid'];
        $record->submission = $submission->id;
        $record->userid = $params['userid'];
        $record->streamuid = $params['streamuid'];
        $record->portalsubmissionid = $params['portalsubmissionid'];
        $record->status = $params['status'];
        $record->durationseconds = $params['durationseconds'];
        $record->sizebytes = $params['sizebytes'];
        $record->uploadedat = $params['uploadedat'];
        $record->deleteafter = $params['deleteafter'];
        $record->timemodified = $now;
        if ($existing) {
            $DB->update_record('assignsubmission_streamportal', $record);
        } else {
            $record->readyat = 0;
            $record->timecreated = $now;
            $record->id = $DB->insert_record('assignsubmission_streamportal', $record);
        }

        if ($params['submit'] && $submission->status !== ASSIGN_SUBMISSION_STATUS_SUBMITTED) {
            if (!$assign->submissions_open($params['userid'])) {
                $warnings[] = ['item' => 'submission', 'itemid' => $params['assignmentid'],
                    'warningcode' => 'submissionsclosed', 'message' => 'Submissions closed'];
            } else {
                $notices = [];
                $data = new \stdClass();
                $data->userid = $params['userid'];
                $assign->save_submission($data, $notices);
                $submission = $assign->get_user_submission($params['userid'], false);
                $submission->status = ASSIGN_SUBMISSION_STATUS_SUBMITTED;
                $submission->timemodified = $now;
                $DB->update_record('assign_submission', $submission);
                \mod_assign\event\assessable_submitted::create_from_submission($assign, $submission, false)->trigger();
            }
        }

        return [
            'recordid' => (int)$record->id,
            'submissionid' => (int)$submission->id,
            'attemptnumber' => (int)$submission->attemptnumber,
            'submissionstatus' => $submission->status,
            'created' => !$existing,
            'timemodified' => $now,
            'warnings' => $warnings,
        ];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns() {
        return new external_single_structure([
            'recordid' => new external_value(PARAM_INT, 'Plugin record id'),
            'submissionid' => new external_value(PARAM_INT, 'assign_submission id'),
            'attemptnumber' => new external_value(PARAM_INT, 'Attempt number'),
            'submissionstatus' => new external_value(PARAM_ALPHA, 'new | draft | submitted | reopened'),
            'created' => new external_value(PARAM_BOOL, 'True when the record was created by this call'),
            'timemodified' => new external_value(PARAM_INT, 'Time modified'),
            'warnings' => new external_warnings(),
        ]);
    }
}
