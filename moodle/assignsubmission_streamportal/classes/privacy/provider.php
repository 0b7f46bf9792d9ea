<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\writer;
use mod_assign\privacy\assign_plugin_request_data;

/**
 * Privacy API: what the plugin stores about a user, its export and its deletion.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class provider implements
        \core_privacy\local\metadata\provider,
        \mod_assign\privacy\assignsubmission_provider,
        \mod_assign\privacy\assignsubmission_user_provider {

    /**
     * What is stored and what leaves Moodle.
     *
     * @param collection $collection
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $collection->add_database_table('assignsubmission_streamportal', [
            'userid' => 'privacy:metadata:records:userid',
            'streamuid' => 'privacy:metadata:records:streamuid',
            'portalsubmissionid' => 'privacy:metadata:records:portalsubmissionid',
            'status' => 'privacy:metadata:records:status',
            'sizebytes' => 'privacy:metadata:records:sizebytes',
            'durationseconds' => 'privacy:metadata:records:durationseconds',
            'uploadedat' => 'privacy:metadata:records:uploadedat',
            'deleteafter' => 'privacy:metadata:records:deleteafter',
            'timecreated' => 'privacy:metadata:records:timecreated',
        ], 'privacy:metadata:records');
        $collection->add_external_location_link('streamportal', ['userid' => 'privacy:metadata:portal:userid'],
            'privacy:metadata:portal');
        return $collection;
    }

    /**
     * Contexts come from mod_assign's own submission lookup.
     *
     * @param int $userid
     * @param contextlist $contextlist
     */
    public static function get_context_for_userid_within_submission(int $userid, contextlist $contextlist) {
        // The submission rows mod_assign already finds cover this plugin's records.
    }

    /**
     * Students are found through mod_assign's submissions.
     *
     * @param \mod_assign\privacy\useridlist $useridlist
     */
    public static function get_student_user_ids(\mod_assign\privacy\useridlist $useridlist) {
        // Nothing beyond mod_assign's own submission owners.
    }

    /**
     * Users with records in a context.
     *
     * @param \core_privacy\local\request\userlist $userlist
     */
    public static function get_userids_from_context(\core_privacy\local\request\userlist $userlist) {
        $context = $userlist->get_context();
        if ($context->contextlevel != CONTEXT_MODULE) {
            return;
        }
        $sql = "SELECT v.userid
                  FROM {assignsubmission_streamportal} v
                  JOIN {course_modules} cm ON cm.instance = v.assignment
                  JOIN {modules} m ON m.id = cm.module AND m.name = 'assign'
                 WHERE cm.id = :cmid";
        $userlist->add_from_sql('userid', $sql, ['cmid' => $context->instanceid]);
    }

    /**
     * Export the user's video records of one submission.
     *
     * @param assign_plugin_request_data $exportdata
     */
    public static function export_submission_user_data(assign_plugin_request_data $exportdata) {
        global $DB;
        if ($exportdata->get_user() !== null) {
            return;    // Only the submission owner's export includes the video record.
        }
        $submission = $exportdata->get_pluginobject();
        $records = $DB->get_records('assignsubmission_streamportal', ['submission' => $submission->id]);
        if (!$records) {
            return;
        }
        $data = array_values(array_map(function($r) {
            return (object)['streamuid' => $r->streamuid, 'status' => $r->status, 'sizebytes' => (int)$r->sizebytes,
                'durationseconds' => (float)$r->durationseconds, 'portalsubmissionid' => $r->portalsubmissionid,
                'uploadedat' => \core_privacy\local\request\transform::datetime($r->uploadedat),
                'deleteafter' => $r->deleteafter ? \core_privacy\local\request\transform::datetime($r->deleteafter) : null];
        }, $records));
        $path = array_merge($exportdata->get_subcontext(), [get_string('privacy:path', 'assignsubmission_streamportal')]);
        writer::with_context($exportdata->get_context())->export_data($path, (object)['videos' => $data]);
    }

    /**
     * Delete every record of an assignment.
     *
     * @param assign_plugin_request_data $requestdata
     */
    public static function delete_submission_for_context(assign_plugin_request_data $requestdata) {
        global $DB;
        $DB->delete_records('assignsubmission_streamportal', ['assignment' => $requestdata->get_assignid()]);
    }

    /**
     * Delete one user's records of a submission.
     *
     * @param assign_plugin_request_data $deletedata
     */
    public static function delete_submission_for_userid(assign_plugin_request_data $deletedata) {
        global $DB;
        $submission = $deletedata->get_pluginobject();
        $DB->delete_records('assignsubmission_streamportal', ['submission' => $submission->id]);
    }

    /**
     * Delete the records of several users' submissions.
     *
     * @param assign_plugin_request_data $deletedata
     */
    public static function delete_submissions(assign_plugin_request_data $deletedata) {
        global $DB;
        if (empty($deletedata->get_submissionids())) {
            return;
        }
        list($sql, $params) = $DB->get_in_or_equal($deletedata->get_submissionids(), SQL_PARAMS_NAMED);
        $DB->delete_records_select('assignsubmission_streamportal', "submission $sql", $params);
    }
}
