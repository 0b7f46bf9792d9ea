<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Restore of the video records.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Restores the submission's video records. A Stream uid is unique on a site: restoring a course
 * into the site it came from (duplicate, import) keeps the original's record and skips the copy.
 */
class restore_assignsubmission_streamportal_subplugin extends restore_subplugin {

    /**
     * Paths handled at submission level.
     *
     * @return restore_path_element[]
     */
    protected function define_submission_subplugin_structure() {
        return [new restore_path_element($this->get_namefor('submission'),
            $this->get_pathfor('/submission_streamportal'))];
    }

    /**
     * One record.
     *
     * @param array $data
     */
    public function process_assignsubmission_streamportal_submission($data) {
        global $DB;
        $data = (object)$data;
        if ($DB->record_exists('assignsubmission_streamportal', ['streamuid' => $data->streamuid])) {
            return;
        }
        $data->assignment = $this->get_new_parentid('assign');
        $data->submission = $this->get_mappingid('submission', $data->submission);
        $data->userid = $this->get_mappingid('user', $data->userid);
        if (!$data->submission || !$data->userid) {
            return;
        }
        unset($data->id);
        $DB->insert_record('assignsubmission_streamportal', $data);
    }
}
