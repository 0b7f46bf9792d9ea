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

    /** Statuses the portal may record. */
    const STATUSES = ['uploading', 'processing', 'ready', 'error'];

    /**
     * Store the record (idempotent on uid) and submit the student's latest attempt.
     *
     * Checks, in this order: the assignment exists, the caller's capabilities, the plugin is enabled
     * in the assignment, the student exists and may submit, the uid is not someone else's, the
     * student's submission is not locked.
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
        if (!in_array($params['status'], self::STATUSES, true)) {
            throw new \invalid_parameter_exception('status must be one of ' . implode(', ', self::STATUSES));
        }
        if ($params['streamuid'] === '' || $params['portalsubmissionid'] === '') {
            throw new \invalid_parameter_exception('streamuid and portalsubmissionid must not be empty');
        }

        $instance = $DB->get_record('assign', ['id' => $params['assignmentid']], '*', MUST_EXIST);
        list($course, $cm) = get_course_and_cm_from_instance($instance, 'assign');
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('assignsubmission/streamportal:recordvideo', $context);
        require_capability('mod/assign:editothersubmission', $context);

        $assign = new \assign($context, $cm, $course);
        $plugin = $assign->get_submission_plugin_by_type('streamportal');
        if (!$plugin || !$plugin->is_enabled()) {
            throw new \moodle_exception('pluginnotenabled', 'assignsubmission_streamportal');
        }
        $user = \core_user::get_user($params['userid']);
        if (!$user || $user->deleted) {
            throw new \dml_missing_record_exception('user', '', ['id' => $params['userid']]);   // invaliduser, as core.
        }
        if (!is_enrolled($context, $user, 'mod/assign:submit', true)) {
            throw new \moodle_exception('usercannotsubmit', 'assignsubmission_streamportal');
        }
        $existing = $DB->get_record('assignsubmission_streamportal', ['streamuid' => $params['streamuid']]);
        if ($existing && ($existing->userid != $user->id || $existing->assignment != $params['assignmentid'])) {
            throw new \moodle_exception('uidconflict', 'assignsubmission_streamportal');
        }
        $flags = $assign->get_user_flags($user->id, false);
        if ($flags && $flags->locked) {
            throw new \moodle_exception('submissionslocked', 'assign');
        }

        // A retry keeps the attempt it was first recorded on; a new video goes on the latest attempt
        // (after a reopen that is the new one), created if the student has none yet.
        $submission = $existing ? $DB->get_record('assign_submission', ['id' => $existing->submission]) : false;
        if (!$submission) {
            $submission = $assign->get_user_submission($user->id, true);
        }
        $now = time();
        $record = $existing ?: new \stdClass();
        $record->assignment = $params['assignmentid'];
        $record->submission = $submission->id;
        $record->userid = $user->id;
        $record->streamuid = $params['streamuid'];
        $record->portalsubmissionid = $params['portalsubmissionid'];
        $record->status = $params['status'];
        // 0 means "not known yet": a retry or a late call does not erase what set_video_status stored.
        if (!$existing || $params['durationseconds'] > 0) {
            $record->durationseconds = $params['durationseconds'];
        }
        if (!$existing || $params['sizebytes'] > 0) {
            $record->sizebytes = $params['sizebytes'];
        }
        $record->uploadedat = $params['uploadedat'];
        $record->deleteafter = $params['deleteafter'];
        $record->timemodified = $now;
        if (!$existing) {
            $record->readyat = 0;
        }
        // A video recorded as ready was ready by now at the latest: never leave readyat at 0 for it.
        // The portal follows with set_video_status and Stream's own ready time, which replaces this.
        if ($params['status'] === 'ready' && empty($record->readyat)) {
            $record->readyat = $now;
        }
        if ($existing) {
            $DB->update_record('assignsubmission_streamportal', $record);
        } else {
            $record->timecreated = $now;
            $record->id = $DB->insert_record('assignsubmission_streamportal', $record);
        }
        $plugin->video_recorded($submission, $record, !$existing);

        $warnings = [];
        if ($submission->latest && $submission->status !== ASSIGN_SUBMISSION_STATUS_SUBMITTED) {
            if (!$assign->submissions_open($user->id)) {
                $warnings[] = ['item' => 'submission', 'itemid' => $params['assignmentid'],
                    'warningcode' => 'submissionsclosed', 'message' => get_string('submissionsclosed', 'assign')];
            } else if ($params['submit']) {
                // What the grader's "Submit for grading" for a student does: plugins' hooks,
                // completion, notifications to graders and student, assessable_submitted event.
                $assign->submit_for_grading((object)['userid' => $user->id], []);
            } else if ($submission->status !== ASSIGN_SUBMISSION_STATUS_DRAFT) {
                $submission->status = ASSIGN_SUBMISSION_STATUS_DRAFT;
                $submission->timemodified = $now;
                $DB->update_record('assign_submission', $submission);
            }
            $submission = $DB->get_record('assign_submission', ['id' => $submission->id], '*', MUST_EXIST);
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
